/**
 * Start-up as a user meets it: `tokportal-sync validate` of the quick-start campaign (the working folder
 * `npm start` sets up: the example campaign's CSVs on the in-process sandbox, after one quick start), its
 * `--offline` form, `--version` and `--help`, each a fresh process, timed from spawn to exit.
 *
 *   npx tsx bench/startup.ts [spawns=11]
 *
 * Two ways to start, the spawns interleaved so both see the same machine load:
 *  - `bin`: `node bin/tokportal-sync.js`, as shipped: the bundle `npm ci` built (dist/cli.mjs);
 *  - `sources`: `node --import tsx src/cli.ts`, the TypeScript transformed at each start (what the bin did
 *    before the build, and what it still does while src/ is newer than the build).
 * Reports the median and the fastest of N spawns. Target: validate ≤ 0.5 s. Builds first when dist/ is
 * missing or stale. Writes the `startup` section of BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "./compiled.ts";
import { machineLines, median, report } from "./report.ts";

const SPAWNS = Number(process.argv[2] ?? 11);
const TARGET_S = 0.5;
const root = fileURLToPath(new URL("../", import.meta.url));

const WAYS = {
  bin: [path.join(root, "bin/tokportal-sync.js")],
  // Resolved here: the commands run in a temporary folder, where a bare "tsx" would not resolve.
  sources: ["--import", import.meta.resolve("tsx"), path.join(root, "src/cli.ts")],
} as const;
type Way = keyof typeof WAYS;

/**
 * Preloaded into each child: prints the process's CPU time (user + system, all its threads) as it exits.
 * On a shared machine the wall time grows with the other jobs' load; the CPU time much less.
 */
const CPU_PROBE =
  'data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\n@cpu "+(u.user+u.system)+"\\n")})';

interface Sample {
  wall: number;
  cpu: number;
}

function run(way: Way, args: readonly string[], cwd: string): Sample {
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--import", CPU_PROBE, ...WAYS[way], ...args], {
    cwd,
    encoding: "utf8",
  });
  const wall = (performance.now() - started) / 1000;
  const cpu = Number(/@cpu (\d+)\s*$/.exec(child.stderr)?.[1]) / 1e6;
  if (child.status !== 0 || !Number.isFinite(cpu)) {
    throw new Error(`${way} ${args.join(" ")} exited ${child.status ?? child.signal}: ${child.stderr}`);
  }
  return { wall, cpu };
}

ensureBuilt();

const dir = mkdtempSync(path.join(tmpdir(), "tps-startup-"));
const loadBefore = loadavg()[0]!;
try {
  // What `npm start` leaves: the working folder, and a sandbox that has run the campaign once.
  run("bin", ["quickstart", "--dir", dir], dir);
  const config = path.join(dir, "tokportal-sync.json");
  const commands: Array<[string, string[]]> = [
    ["validate", ["validate", "-c", config]],
    ["validate --offline", ["validate", "--offline", "-c", config]],
    ["--version", ["--version"]],
    ["--help", ["--help"]],
  ];
  const times = new Map<string, Sample[]>();
  for (let i = 0; i < SPAWNS; i++) {
    for (const [name, args] of commands) {
      for (const way of Object.keys(WAYS) as Way[]) {
        const key = `${name}|${way}`;
        times.set(key, [...(times.get(key) ?? []), run(way, args, dir)]);
      }
    }
  }
  const walls = (name: string, way: Way) => times.get(`${name}|${way}`)!.map((x) => x.wall);
  const cpus = (name: string, way: Way) => times.get(`${name}|${way}`)!.map((x) => x.cpu);
  const cell = (name: string, way: Way): string =>
    `${median(walls(name, way)).toFixed(2)} (${Math.min(...walls(name, way)).toFixed(2)}) | ${median(cpus(name, way)).toFixed(2)}`;
  const rows = commands.map(([name]) => {
    const ratio = median(walls(name, "sources")) / median(walls(name, "bin"));
    return `| \`${name}\` | ${cell(name, "bin")} | ${cell(name, "sources")} | ${ratio.toFixed(1)}× |`;
  });
  const validate = median(walls("validate", "bin"));
  const validateCpu = median(cpus("validate", "bin"));
  report("startup", [
    "## Start-up",
    "",
    `\`npx tsx bench/startup.ts ${SPAWNS}\`: each command a fresh process, timed from spawn to exit, ${SPAWNS}`,
    "spawns each, interleaved. `validate` is the quick-start campaign (4 bundles rows, 13 videos rows, on the",
    "in-process sandbox, after one `quickstart`), checked on its own and against the sandbox. `bin` is",
    "`node bin/tokportal-sync.js` running the bundle `npm ci` builds (dist/cli.mjs); `sources` is",
    "`node --import tsx src/cli.ts`, the TypeScript transformed at each start, as the bin ran before the",
    `build and still runs while src/ is newer than dist/. Target: \`validate\` ≤ ${TARGET_S} s.`,
    "",
    ...machineLines(),
    "",
    "| command | bin: wall, median (fastest), s | bin: CPU, s | sources: wall, median (fastest), s | sources: CPU, s | sources / bin (wall) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end: both times grow`,
    "with the other jobs' load, the wall time most.",
    "",
    `\`validate\` through the bin: ${validate.toFixed(2)} s wall (median), ${validateCpu.toFixed(2)} s of CPU; ` +
      `target ${TARGET_S} s: ${validate <= TARGET_S ? "met" : "**not met**"} in wall time on this run.`,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
