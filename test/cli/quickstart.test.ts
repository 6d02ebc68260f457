/**
 * The quick start (`npm start` = `node bin/tokportal-sync.js quickstart`), run as a user runs it: a child
 * process, in a temporary working folder (`--dir`), on the in-process sandbox. The first run applies the
 * example campaign and lets the posts go live; the second finds nothing to do; an edit is picked up.
 * Also the sandbox clock kept by runtime.ts, and when the quick start moves it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goLiveTime } from "../../src/cli/quickstart-golive.ts";
import { QUICKSTART_CLOCK, quickstartConfig } from "../../src/cli/quickstart-setup.ts";
import {
  openRuntime,
  readSandboxClock,
  SANDBOX_CLOCK_FILE,
  SANDBOX_STATE_FILE,
} from "../../src/cli/runtime.ts";
import { loadConfig } from "../../src/config/load.ts";
import { csvRows, type Result, root } from "./cli-harness.ts";

const bin = path.join(root, "bin/tokportal-sync.js");
/** Looks like a real deployment's settings: the quick start must ignore both (nothing listens on port 9). */
const DEPLOYMENT_ENV = {
  TOKPORTAL_BASE_URL: "http://127.0.0.1:9/api/ext",
  TOKPORTAL_API_KEY: `sk_${"ab".repeat(32)}`,
};

function runQuickstart(dir: string, cwd: string): Promise<Result> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.DEBUG;
  delete env.FORCE_COLOR;
  Object.assign(env, DEPLOYMENT_ENV);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "quickstart", "--dir", dir], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under `dir` → sha256 of its bytes. */
function digests(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, file), createHash("sha256").update(readFileSync(file)).digest("hex"));
  }
  return out;
}

const yes = (cell: string | undefined) => /^(yes|true|1|y)$/i.test(cell ?? "");

describe("npm start (tokportal-sync quickstart)", () => {
  let tmp = "";
  let work = "";
  const fixturesBefore = digests(path.join(root, "fixtures"));
  const csv = (name: string) => path.join(work, "campaign", name);
  let afterFirst: { bundles: string; videos: string } = { bundles: "", videos: "" };

  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), "tps-quickstart-"));
    work = path.join(tmp, "work");
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("the first run creates the working folder, applies the campaign and writes the results back", async () => {
    const r = await runQuickstart(work, tmp);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("copied the example campaign and wrote a config");
    expect(r.stdout).toMatch(/1\. The plan for campaign\/bundles\.csv \+ campaign\/videos\.csv:/);
    // 4 accounts (the Spanish one warmed on 3 terms) and 13 video slots (a story among them).
    expect(r.stdout).toMatch(/Plan: 16 operations\b.*169 credits/);
    expect(r.stdout).toMatch(/credits: +169 charged/);
    expect(r.stdout).toContain(
      "Moved the sandbox clock from 2027-02-20T09:00:00.000Z to 2027-03-03T18:00:00.000Z",
    );
    // Where to look, and how to go on (paths as seen from the cwd).
    expect(r.stdout).toContain("work/campaign/videos.csv");
    expect(r.stdout).toContain("rm -rf work");
    expect(r.stdout).toContain("set publish to yes on us-v4 (a draft)");
    // The review loop and the story, in one line.
    expect(r.stdout).toContain(
      "review and stories: uk-v2 changes + note → changes_requested; uk-v3 approve → approved; uk-v1, uk-v4 in review (set review to approve or changes); story fr-s1 → finalized",
    );

    expect(JSON.parse(readFileSync(path.join(work, "tokportal-sync.json"), "utf8"))).toEqual(
      quickstartConfig(work),
    );
    expect(readSandboxClock(path.join(work, ".sandbox"))).toEqual(QUICKSTART_CLOCK);

    const source = (name: string) => csvRows(path.join(root, "fixtures/campaign", name));
    const bundles = csvRows(csv("bundles.csv"));
    const videos = csvRows(csv("videos.csv"));
    expect(bundles.map((b) => b.bundle_ref)).toEqual(source("bundles.csv").map((b) => b.bundle_ref));
    expect(videos.map((v) => v.video_ref)).toEqual(source("videos.csv").map((v) => v.video_ref));
    for (const b of bundles) {
      expect(b.sync_status, b.bundle_ref).toBe("synced");
      expect(b.bundle_id, b.bundle_ref).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(bundles.map((b) => b.bundle_id)).size).toBe(4);
    const published = new Set(bundles.filter((b) => yes(b.publish)).map((b) => b.bundle_ref));
    const live = videos.filter((v) => published.has(v.bundle_ref ?? "") && yes(v.publish));
    expect(live.map((v) => v.video_ref)).toEqual([
      ...["us-v1", "us-v2", "us-v3", "fr-v1", "fr-v2", "fr-v3", "fr-s1"],
      ...["uk-v1", "uk-v2", "uk-v3", "uk-v4"],
    ]);
    for (const v of videos) {
      expect(v.sync_status, v.video_ref).toBe("synced");
      expect(v.video_id, v.video_ref).toMatch(/^[0-9a-f-]{36}$/);
      // synced_at is on the sandbox's clock, so two fresh quick starts write the same sheet.
      expect(v.synced_at?.startsWith("2027-"), v.video_ref).toBe(true);
    }
    // The UK bundle's videos wait in review (auto_finalize_videos no): uk-v3 approved, uk-v2 sent back.
    const reviewed: Record<string, string> = {
      "uk-v1": "in_review",
      "uk-v2": "pending_corrections",
      "uk-v4": "in_review",
    };
    for (const v of live) {
      expect(v.video_status, v.video_ref).toBe(reviewed[v.video_ref ?? ""] ?? "finalized");
      expect(v.platform_url, v.video_ref).toMatch(/^https:\/\/www\.(tiktok|instagram)\.com\//);
      expect(Number(v.views), v.video_ref).toBeGreaterThan(0);
    }
    for (const v of videos.filter((x) => !live.includes(x))) {
      expect(v.video_status, v.video_ref).toBe("configured");
      expect(v.platform_url ?? "", v.video_ref).toBe("");
    }
    const row = (ref: string) => videos.find((v) => v.video_ref === ref)!;
    expect(row("uk-v2").review_status).toBe("changes_requested");
    expect(row("uk-v2").correction_message).toBe("Start on the trench, not the mirror");
    expect(row("uk-v2").sync_message).toMatch(/corrections asked on 2027-03-03/);
    expect(row("uk-v3").review_status).toBe("approved");
    expect(row("fr-s1").video_type).toBe("story");
    // The run log and the analytics history beside the campaign, named under "where to look": the order
    // and the run after the clock moved each logged; a history row for every live video, and its account.
    expect(r.stdout).toContain("work/campaign/sync-runs.csv");
    expect(r.stdout).toContain("work/campaign/analytics-history.csv");
    const runs = csvRows(csv("sync-runs.csv"));
    expect(runs.map((x) => x.exit_code)).toEqual(["0", "0"]);
    expect(Number(runs[0]?.credits_charged)).toBe(169);
    const history = csvRows(csv("analytics-history.csv"));
    const measured = new Set(history.filter((h) => h.video_ref !== "").map((h) => h.video_ref));
    expect([...measured].sort()).toEqual(live.map((v) => v.video_ref).sort());
    const accounts = new Set(history.filter((h) => h.video_ref === "").map((h) => h.bundle_ref));
    expect([...accounts].sort()).toEqual([...published].sort());
    afterFirst = {
      bundles: readFileSync(csv("bundles.csv"), "utf8"),
      videos: readFileSync(csv("videos.csv"), "utf8"),
    };
  });

  it("the second run finds nothing to do: no plan, no credit, no cell written, same bundles", async () => {
    const state = () =>
      JSON.parse(readFileSync(path.join(work, ".sandbox", SANDBOX_STATE_FILE), "utf8")) as {
        bundles: Record<string, unknown>;
        clockOffsetMs: number;
      };
    const before = state();
    const r = await runQuickstart(work, tmp);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("using the campaign and config already there");
    expect(r.stdout).toContain("Plan: 0 operations, 0 credits");
    expect(r.stdout).toContain("Nothing to do: TokPortal already matches the sheet");
    expect(r.stdout).toContain("0 credits spent, 0 cells written");
    expect(r.stdout).not.toContain("Moved the sandbox clock");
    expect(readFileSync(csv("bundles.csv"), "utf8")).toBe(afterFirst.bundles);
    expect(readFileSync(csv("videos.csv"), "utf8")).toBe(afterFirst.videos);
    const after = state();
    expect(Object.keys(after.bundles).sort()).toEqual(Object.keys(before.bundles).sort());
    expect(after.clockOffsetMs).toBe(before.clockOffsetMs);
  });

  it("an edit to the working CSV is synced on the next run: the released draft goes live", async () => {
    const text = readFileSync(csv("videos.csv"), "utf8");
    const edited = text.replace("/us-v4.mp4,,,,no,", "/us-v4.mp4,,,,yes,");
    expect(edited).not.toBe(text);
    writeFileSync(csv("videos.csv"), edited);
    const r = await runQuickstart(work, tmp);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/spring-us-1 .*publish/);
    expect(r.stdout).toContain("to 2027-03-04T18:00:00.000Z");
    const v4 = csvRows(csv("videos.csv")).find((v) => v.video_ref === "us-v4");
    expect(v4?.video_status).toBe("finalized");
    expect(v4?.platform_url).toMatch(/^https:\/\/www\.tiktok\.com\//);
    expect(v4?.notes).toBe("draft");
  });

  it("an edit that needs no posting is applied, and the clock stays where it is", async () => {
    const text = readFileSync(csv("videos.csv"), "utf8");
    // fr-v4 is configured but not released (publish no): its slot still takes a new description and date.
    const edited = text.replace("Routine du matin,2027-03-05", "Routine du matin et du soir,2027-03-10");
    expect(edited).not.toBe(text);
    writeFileSync(csv("videos.csv"), edited);
    const r = await runQuickstart(work, tmp);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/spring-fr-1 .*configure .*description/);
    expect(r.stdout).toContain("2. Applied it:");
    expect(r.stdout).not.toContain("Nothing to do: TokPortal already matches the sheet");
    expect(r.stdout).toContain("the sandbox clock stays where it is");
    expect(r.stdout).toContain("its clock reads 2027-03-04T18:00:00.000Z");
    const fr4 = csvRows(csv("videos.csv")).find((v) => v.video_ref === "fr-v4");
    expect(fr4?.sync_status).toBe("synced");
    expect(fr4?.video_status).toBe("configured");
  });

  it("never changes a tracked file under fixtures/", () => {
    expect(digests(path.join(root, "fixtures"))).toEqual(fixturesBefore);
  });

  it("refuses a working config that points away from the sandbox, before calling anything", async () => {
    const other = path.join(tmp, "not-sandbox");
    mkdirSync(other);
    const config = {
      ...quickstartConfig(other),
      tokportal: { base_url: "https://tokportal.invalid/api/ext" },
    };
    writeFileSync(path.join(other, "tokportal-sync.json"), JSON.stringify(config));
    const r = await runQuickstart(other, tmp);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tokportal\.base_url: the quick start runs only on the sandbox/);
    expect(r.stdout).not.toContain("The plan");
    // The missing CSVs were copied (the folder is prepared first), and left as copied.
    expect(readFileSync(path.join(other, "campaign", "videos.csv"), "utf8")).toBe(
      readFileSync(path.join(root, "fixtures/campaign/videos.csv"), "utf8"),
    );
  });
});

describe("the sandbox clock (runtime.ts)", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tps-sandbox-clock-"));
    writeFileSync(
      path.join(dir, "tokportal-sync.json"),
      JSON.stringify({
        tokportal: { base_url: "sandbox" },
        source: { type: "csv", videos: "videos.csv" },
        ref_prefix: "t-",
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const loaded = () => loadConfig(path.join(dir, "tokportal-sync.json"), {});
  const sandboxDir = () => path.join(dir, ".sandbox");

  it("a fresh sandbox starts at the asked time, saves it, and later runs continue from it", async () => {
    const first = await openRuntime(loaded(), { sandboxClock: QUICKSTART_CLOCK });
    try {
      expect(first.sandbox?.clock.iso()).toBe(QUICKSTART_CLOCK.start);
      expect(await first.sandbox?.advance(3600)).toBe("2027-02-20T10:00:00.000Z");
    } finally {
      await first.close();
    }
    expect(readSandboxClock(sandboxDir())).toEqual(QUICKSTART_CLOCK);
    // Without the option (a plain `sync` on the same config), and with another one: the saved clock wins.
    for (const options of [{}, { sandboxClock: { ...QUICKSTART_CLOCK, start: "2030-01-01T00:00:00Z" } }]) {
      const again = await openRuntime(loaded(), options);
      try {
        expect(again.sandbox?.clock.iso()).toBe("2027-02-20T10:00:00.000Z");
      } finally {
        await again.close();
      }
    }
  });

  it("a sandbox created before there was a saved clock keeps running on the real clock", async () => {
    rmSync(path.join(sandboxDir(), SANDBOX_CLOCK_FILE));
    expect(existsSync(path.join(sandboxDir(), SANDBOX_STATE_FILE))).toBe(true);
    const rt = await openRuntime(loaded(), { sandboxClock: QUICKSTART_CLOCK });
    try {
      const now = rt.sandbox?.clock.now() ?? 0;
      // Real now plus the hour advanced earlier (the offset is in the state file).
      expect(Math.abs(now - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    } finally {
      await rt.close();
    }
    expect(existsSync(path.join(sandboxDir(), SANDBOX_CLOCK_FILE))).toBe(false);
  });

  it("a damaged clock file is refused with a way out", async () => {
    writeFileSync(path.join(sandboxDir(), SANDBOX_CLOCK_FILE), JSON.stringify({ start: "soon", speed: 0 }));
    await expect(openRuntime(loaded())).rejects.toThrow(/sandbox-clock\.json should hold .*delete/);
  });
});

describe("goLiveTime", () => {
  const managers = { acceptAfterSeconds: 600, postAtHourUtc: 17 };
  const now = Date.parse("2027-02-20T09:00:00Z");

  it("is one hour past the last released video's posting time", () => {
    const slots = [
      { status: "published", target_publish_date: "2027-03-01" },
      { status: "accepted", target_publish_date: "2027-03-03" },
      { status: "configured", target_publish_date: "2027-03-09" },
      { status: "finalized", target_publish_date: "2027-03-08" },
    ];
    expect(new Date(goLiveTime(slots, managers, now) ?? 0).toISOString()).toBe("2027-03-03T18:00:00.000Z");
  });

  it("waits for the bundle to be accepted when the target day is already here", () => {
    const slots = [{ status: "published", target_publish_date: "2027-02-20" }];
    expect(new Date(goLiveTime(slots, managers, Date.parse("2027-02-20T16:55:00Z")) ?? 0).toISOString()).toBe(
      "2027-02-20T18:05:00.000Z",
    );
  });

  it("is null when no video waits for a manager", () => {
    const slots = [
      { status: "configured", target_publish_date: "2027-03-01" },
      { status: "in_review", target_publish_date: "2027-03-02" },
      { status: "published", target_publish_date: null },
    ];
    expect(goLiveTime(slots, managers, now)).toBeNull();
  });
});
