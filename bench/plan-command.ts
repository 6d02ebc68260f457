/**
 * The whole `tokportal-sync plan` command, as a user runs it: a campaign of 100,000 video rows (10,000
 * bundles × 10 videos, CSV) against the in-process sandbox with no bundles yet, spawned through
 * `bin/tokportal-sync.js` (start-up, config, sandbox, read, validate, plan, printing). `plan` and
 * `plan --json`, each run `--runs` times (default 3); the medians of the wall time and of the process's peak
 * RSS (`/usr/bin/time -v` when present, else VmHWM polled from /proc).
 *
 *   npx tsx bench/plan-command.ts [--rows 100000] [--runs 3]
 *
 * Target: ≤ 4 s and ≤ 400 MB for each. Writes the `plan-command` section of BENCHMARKS.md.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeCampaign } from "../test/support/campaign.ts";
import { ensureBuilt } from "./compiled.ts";
import { machineLines, median, report } from "./report.ts";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const ROWS = flag("--rows", 100_000);
const RUNS = flag("--runs", 3);
const VIDEOS_PER_BUNDLE = 10;
const TIME = "/usr/bin/time";
const BIN = fileURLToPath(new URL("../bin/tokportal-sync.js", import.meta.url));

interface Run {
  seconds: number;
  /** User + system CPU seconds (from /usr/bin/time; null without it): steadier than wall time on a busy machine. */
  cpu: number | null;
  peakRssMb: number;
  exitCode: number;
  stdoutBytes: number;
}

/** Peak RSS from /proc while the child lives (the fallback without /usr/bin/time). */
function pollPeak(pid: number, into: { kb: number }): NodeJS.Timeout {
  return setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) into.kb = Math.max(into.kb, Number(m[1]));
    } catch {
      // Gone already.
    }
  }, 20);
}

function runOnce(args: string[], cwd: string): Promise<Run> {
  const timed = existsSync(TIME);
  const [cmd, cmdArgs] = timed
    ? [TIME, ["-v", process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, cmdArgs, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdoutBytes = 0;
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdoutBytes += d.length;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const peak = { kb: 0 };
    const poll = timed ? null : pollPeak(child.pid!, peak);
    child.on("error", reject);
    child.on("close", (code) => {
      if (poll) clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      let cpu: number | null = null;
      if (timed) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        peak.kb = m ? Number(m[1]) : 0;
        const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
        const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
        if (user && system) cpu = Number(user[1]) + Number(system[1]);
      }
      // A plan was printed: 0, 1 (rows in error) or 4 (bundles waiting for credits: the sandbox's balance does
      // not cover a campaign this size). Anything else is a failure to plan.
      if (code !== 0 && code !== 1 && code !== 4) {
        reject(new Error(`plan ${args.join(" ")} exited ${code}:\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ seconds, cpu, peakRssMb: peak.kb / 1024, exitCode: code ?? -1, stdoutBytes });
    });
  });
}

// Measure the command as installed: the bundle, built now if src/ changed since (else the bin runs tsx).
ensureBuilt();

const dir = mkdtempSync(path.join(tmpdir(), "tps-plan-cmd-"));
try {
  const bundles = Math.ceil(ROWS / VIDEOS_PER_BUNDLE);
  mkdirSync(path.join(dir, "campaign"));
  writeCampaign(path.join(dir, "campaign"), {
    bundles,
    videosPerBundle: VIDEOS_PER_BUNDLE,
    startDate: "2027-03-01",
  });
  const config = {
    tokportal: { base_url: "sandbox" },
    source: { type: "csv", bundles: "campaign/bundles.csv", videos: "campaign/videos.csv" },
    ref_prefix: "bench-",
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: true },
  };
  writeFileSync(path.join(dir, "tokportal-sync.json"), `${JSON.stringify(config, null, 2)}\n`);

  const variants: Array<[string, string[]]> = [
    ["`tokportal-sync plan`", ["plan"]],
    ["`tokportal-sync plan --json`", ["plan", "--json"]],
  ];
  const rows: string[] = [];
  for (const [name, args] of variants) {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runOnce(args, dir));
    const s = median(runs.map((r) => r.seconds));
    const mb = median(runs.map((r) => r.peakRssMb));
    const cpus = runs.map((r) => r.cpu).filter((c): c is number => c !== null);
    const cpu = cpus.length > 0 ? median(cpus).toFixed(2) : "n/a";
    const out = median(runs.map((r) => r.stdoutBytes)) / 1024 / 1024;
    console.error(
      `${name}: ${s.toFixed(2)} s (CPU ${cpu} s), ${mb.toFixed(0)} MB peak RSS (runs: ${runs.map((r) => r.seconds.toFixed(2)).join(", ")})`,
    );
    rows.push(
      `| ${name} | ${s.toFixed(2)} | ${cpu} | ${mb.toFixed(0)} | ${out.toFixed(1)} | ${runs[0]!.exitCode} |`,
    );
  }
  report("plan-command", [
    "## The `plan` command on 100,000 rows",
    "",
    `\`npx tsx bench/plan-command.ts --rows ${ROWS} --runs ${RUNS}\`: ${bundles.toLocaleString("en")} bundles × ${VIDEOS_PER_BUNDLE} videos`,
    `= ${ROWS.toLocaleString("en")} video rows (CSV), \`"base_url": "sandbox"\` with no bundles yet, the command spawned as a user`,
    "runs it (`node bin/tokportal-sync.js`, running the bundle `npm run build` made: start-up included; the bench",
    "builds first when dist/ is older than src/). Median of the runs; peak RSS of the process from",
    `${existsSync(TIME) ? "`/usr/bin/time -v`" : "/proc (VmHWM)"}. Target: ≤ 4 s and ≤ 400 MB each.`,
    "Before (issue 20, measured on a 10,000 × 10 campaign): `plan` 9.7 s, 797 MB; `plan --json` 10.6 s, 857 MB.",
    "Before the plan command's memory work (ee557c5, back to back on a quiet machine, median of 3): `plan` 6.16 s,",
    "CPU 8.10 s, 948 MB; `plan --json` 5.77 s, CPU 7.39 s, 947 MB.",
    "",
    ...machineLines(),
    "",
    "| command | seconds | CPU seconds | peak RSS MB | stdout MB | exit code |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
