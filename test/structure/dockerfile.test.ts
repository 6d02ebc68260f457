/**
 * The Dockerfile's facts that matter, read from the file (no Docker engine needed): a build stage and a
 * runtime stage; the runtime installs production dependencies only and takes dist/ from the build; it runs
 * as a user that is not root, under an init, with a health check on /healthz asked with node itself, on
 * the port it exposes and the default command serves. Also that nothing the runtime loads is a
 * development dependency, and that .dockerignore lets in what the stages copy.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXTERNAL } from "../../scripts/bundle.js";

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage: continuation lines joined, comments and blank lines dropped. */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const out: Instruction[][] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    const ins = { op: op.toUpperCase(), args: args.replace(/\s+/g, " ") };
    if (ins.op === "FROM") out.push([]);
    if (ins.op === "ARG" && out.length === 0) continue;
    out.at(-1)?.push(ins);
  }
  return out;
}

const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);
const one = (stage: Instruction[], op: string) => {
  const found = all(stage, op);
  expect(found, op).toHaveLength(1);
  return found[0]!;
};

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const [build, runtime] = stages(readFileSync("Dockerfile", "utf8")) as [Instruction[], Instruction[]];

describe("the Dockerfile", () => {
  it("has a build stage that installs everything and builds, and a runtime stage", () => {
    expect(stages(readFileSync("Dockerfile", "utf8"))).toHaveLength(2);
    expect(build[0]!.args).toMatch(/ AS build$/);
    const runs = all(build, "RUN").join("\n");
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).not.toMatch(/--omit=dev/);
    expect(runs).toContain("npm run build");
  });

  it("installs production dependencies only in the runtime stage, and takes dist/ from the build", () => {
    const installs = all(runtime, "RUN").filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/npm ci --omit=dev/);
    // prepare would build again, with the build tools a production install does not have.
    expect(installs[0]).toContain("--ignore-scripts");
    expect(all(runtime, "COPY")).toContain("--from=build /app/dist/ dist/");
    // What the code reads at run time, beside dist/ (src/api/spec.ts reads spec/).
    for (const dir of ["bin/ bin/", "spec/ spec/", "package.json package-lock.json ./"])
      expect(all(runtime, "COPY")).toContain(dir);
  });

  it("runs as a user that is not root, set before the command", () => {
    const user = one(runtime, "USER");
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const at = (op: string) => runtime.findIndex((i) => i.op === op);
    expect(at("USER")).toBeLessThan(at("ENTRYPOINT"));
    expect(at("USER")).toBeLessThan(at("CMD"));
  });

  it("starts under an init, so signals reach the service (node is not PID 1)", () => {
    const entry = JSON.parse(one(runtime, "ENTRYPOINT")) as string[];
    expect(entry[0]).toMatch(/tini$/);
    expect(entry).toContain("tokportal-sync");
    expect(all(runtime, "RUN").join("\n")).toMatch(/apt-get install .*\btini\b/);
  });

  it("checks /healthz with node on the port it exposes and the default command serves", () => {
    const check = one(runtime, "HEALTHCHECK");
    expect(check).toMatch(/CMD \["node", "-e"/);
    expect(check).not.toMatch(/\b(curl|wget)\b/);
    const port = /127\.0\.0\.1:(\d+)\/healthz/.exec(check)?.[1];
    expect(port).toBeDefined();
    expect(one(runtime, "EXPOSE")).toBe(port);
    const cmd = JSON.parse(one(runtime, "CMD")) as string[];
    expect(cmd[0]).toBe("cron");
    expect(cmd[cmd.indexOf("--health-port") + 1]).toBe(port);
    expect(cmd[cmd.indexOf("--health-host") + 1]).toBe("0.0.0.0");
  });

  it("needs no development dependency at run time: the bundle's packages are production ones", () => {
    // scripts/bundle.js bundles every package but EXTERNAL, imports resolved in node_modules at run time.
    expect(EXTERNAL).toContain("@googleapis/sheets");
    for (const name of EXTERNAL) expect(pkg.dependencies[name], name).toBeDefined();
    // The build tools and tsx (the bin's fallback when there is no current build) are for development.
    for (const name of ["esbuild", "tsx", "typescript"]) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.devDependencies[name], name).toBeDefined();
    }
    expect(pkg.scripts.prepare).toBe(pkg.scripts.build);
  });

  it("lets in, through .dockerignore, every path a stage copies from the build context", () => {
    const ignore = readFileSync(".dockerignore", "utf8")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(ignore[0]).toBe("**");
    const allowed = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1));
    const copied = [...build, ...runtime]
      .filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(" ").slice(0, -1));
    for (const path of copied) expect(allowed, path).toContain(path);
  });
});
