/**
 * The steps of an existing bundle (slots, settings, videos, releases, prune), and the failures that leave
 * rows pending rather than in error: a not-ready publish, capacity cooldown, too few credits, a server that
 * keeps failing, a stopped run.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TokPortalClient } from "../../src/api/index.ts";
import type { ApplyReport, PlannedRow, PlanOp, RowResult } from "../../src/sync/types.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, expectNote } from "../support/findings.ts";
import {
  applyReport,
  bundleRowRef,
  clientFor,
  coldBundle,
  PREFIX,
  planOf,
  videoRowRef,
  WRITES,
} from "./apply-fixtures.ts";

const emu = sharedEmulator();
const clients: TokPortalClient[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()?.close();
});

function client(): TokPortalClient {
  const c = clientFor(emu);
  clients.push(c);
  return c;
}

const noBudget = { maxCredits: null, balance: null };
const logStart = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const writesSince = (start: number) =>
  emu
    .requestLog(start)
    .filter((e) => WRITES.has(e.method))
    .map((e) => `${e.operationId}:${e.status}${e.replayed ? ":replayed" : ""}`);
const bundleOf = (ref: string) =>
  Object.values(emu.state().bundles).find((b) => b.external_ref === `${PREFIX}${ref}`)!;
const credits = (): number => Object.values(emu.state().workspaces)[0]!.credits;

function row(report: ApplyReport, id: string): RowResult {
  const r = report.rows.find((x) => x.row.id === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
}

function planned(id: string, remote: PlannedRow["remote"], ops: string[], rowNumber = 2): PlannedRow {
  const [kind, rest] = [id.slice(0, 1), id.slice(2)];
  const ref =
    kind === "b"
      ? bundleRowRef(rest, rowNumber)
      : videoRowRef(rest.split("/")[0]!, rest.split("/")[1]!, rowNumber);
  return { row: ref, outcome: "synced", message: "", fingerprint: `v1-${id.length}`, remote, ops };
}

/** A published bundle "alpha" with 3 configured-then-published videos, made through applyPlan itself. */
async function publishedBundle(): Promise<{ id: string; report: ApplyReport }> {
  const report = await applyReport(planOf([coldBundle({ ref: "alpha" })]), client(), noBudget);
  expect(report.rows.every((r) => r.outcome === "synced")).toBe(true);
  return { id: bundleOf("alpha").id, report };
}

describe("steps on an existing bundle", () => {
  it("adds slots (charged, added to the credits cell), patches settings and a video, configures and releases with one publish-all", async () => {
    const { id } = await publishedBundle();
    const op = (o: Record<string, unknown>) =>
      ({ bundleRef: "alpha", bundleId: id, reason: "test", cost: 0, ...o }) as PlanOp;
    const ops: PlanOp[] = [
      op({
        id: "alpha:addVideoSlots",
        kind: "addVideoSlots",
        quantity: 2,
        cost: 4,
        rows: ["v:alpha/v4", "v:alpha/v5"],
      }),
      op({ id: "alpha:patchBundle", kind: "patchBundle", body: { title: "Renamed" }, rows: ["b:alpha"] }),
      op({
        id: "alpha:configureVideos",
        kind: "configureVideos",
        rows: ["v:alpha/v4", "v:alpha/v5"],
        items: [4, 5].map((position) => ({
          rowId: `v:alpha/v${position}`,
          videoRef: `v${position}`,
          position,
          media: {},
          item: {
            position,
            video_type: "video",
            description: `Clip ${position}`,
            target_publish_date: "2026-09-08",
            video_url: `https://cdn.example.com/${position}.mp4`,
            external_ref: `v${position}`,
          },
        })),
      }),
      op({
        id: "alpha:patchVideo:1",
        kind: "patchVideo",
        position: 1,
        body: { name: "First" },
        rows: ["v:alpha/v1"],
      }),
      op({
        id: "alpha:publishVideos",
        kind: "publishVideos",
        positions: [4, 5],
        all: true,
        rows: ["v:alpha/v4", "v:alpha/v5"],
      }),
    ];
    const plan = planOf([]);
    plan.ops = ops;
    plan.rows = [
      planned("b:alpha", { bundle_id: id, bundle_status: "published", credits_charged: "38" }, [
        "alpha:patchBundle",
      ]),
      planned(
        "v:alpha/v1",
        { video_id: bundleOf("alpha").videos[0]!.id, position: 1, video_status: "published" },
        ["alpha:patchVideo:1"],
      ),
      planned("v:alpha/v4", { video_id: null, position: 4, video_status: null }, ["alpha:configureVideos"]),
      planned("v:alpha/v5", { video_id: null, position: 5, video_status: null }, ["alpha:configureVideos"]),
    ];
    const before = credits();
    const start = logStart();

    const report = await applyReport(plan, client(), noBudget);

    expect(writesSince(start)).toEqual([
      "addVideoSlots:200",
      "updateBundle:200",
      "batchConfigureBundleVideos:200",
      "patchBundleVideo:200",
      "publishAllBundleVideos:200",
    ]);
    expect(credits()).toBe(before - 4);
    expect(report.creditsCharged).toBe(4);
    const b = row(report, "b:alpha");
    expect(b.values).toMatchObject({ credits_charged: 42, bundle_status: "published" });
    expect(b.creditsCharged).toBe(4);
    const bundle = bundleOf("alpha");
    expect(bundle.title).toBe("Renamed");
    expect(bundle.videos.map((v) => v.status)).toEqual([
      "published",
      "published",
      "published",
      "published",
      "published",
    ]);
    expect(bundle.videos[0]?.name).toBe("First");
    for (const v of ["v4", "v5"]) {
      const r = row(report, `v:alpha/${v}`);
      expect(r).toMatchObject({ outcome: "synced", changed: true });
      expect(r.values.video_status).toBe("published");
      expect(r.values.video_id).toBe(bundle.videos[Number(v.slice(1)) - 1]?.id);
    }
    expect(row(report, "v:alpha/v1").values).toMatchObject({ video_status: "published", position: 1 });
  });

  it("releases single positions one call each, and prunes (unschedules) an orphan slot", async () => {
    const { id } = await publishedBundle();
    // A fourth slot, configured but not released, to release by position.
    await emu.api("POST", `/bundles/${id}/add-video-slots`, { body: { quantity: 2 } });
    for (const position of [4, 5]) {
      const res = await emu.api("PUT", `/bundles/${id}/videos/${position}`, {
        body: {
          video_type: "video",
          description: "x",
          target_publish_date: "2026-09-09",
          video_url: "https://cdn.example.com/x.mp4",
          external_ref: `v${position}`,
        },
      });
      expect(res.status).toBe(200);
    }
    const plan = planOf([]);
    plan.ops = [
      {
        id: "alpha:publishVideos",
        kind: "publishVideos",
        bundleRef: "alpha",
        bundleId: id,
        rows: ["v:alpha/v4"],
        reason: "t",
        cost: 0,
        positions: [4],
        all: false,
      },
      {
        id: "alpha:unscheduleVideo:5",
        kind: "unscheduleVideo",
        bundleRef: "alpha",
        bundleId: id,
        rows: [],
        reason: "prune",
        cost: 0,
        position: 5,
      },
    ];
    plan.rows = [
      planned("v:alpha/v4", { video_id: "x", position: 4, video_status: "configured" }, [
        "alpha:publishVideos",
      ]),
    ];
    const start = logStart();
    const report = await applyReport(plan, client(), noBudget);

    expect(writesSince(start)).toEqual(["publishBundleVideo:200", "unscheduleBundleVideo:200"]);
    expect(row(report, "v:alpha/v4").values.video_status).toBe("published");
    expect(bundleOf("alpha").videos.map((v) => v.status)).toEqual([
      "published",
      "published",
      "published",
      "published",
      "pending",
    ]);
  });

  it("a publish that TokPortal answers with adjusted dates tells the moved rows", async () => {
    const part = coldBundle({ ref: "alpha", publish: false });
    await applyReport(planOf([part]), client(), noBudget);
    const id = bundleOf("alpha").id;
    // Two days later the videos' date (3 days ahead when configured) is too soon for a new account.
    await emu.advance(2 * 86_400);
    const plan = planOf([]);
    plan.ops = [
      {
        id: "alpha:publishBundle",
        kind: "publishBundle",
        bundleRef: "alpha",
        bundleId: id,
        rows: ["b:alpha"],
        reason: "t",
        cost: 0,
      },
    ];
    const videos = bundleOf("alpha").videos;
    plan.rows = [
      planned("b:alpha", { bundle_id: id, bundle_status: "pending_setup" }, ["alpha:publishBundle"]),
      ...videos.map((v, i) =>
        planned(
          `v:alpha/v${i + 1}`,
          { video_id: v.id, position: v.position, video_status: "configured" },
          [],
          3 + i,
        ),
      ),
    ];
    const report = await applyReport(plan, client(), noBudget);

    expect(row(report, "b:alpha").values.bundle_status).toBe("published");
    const v1 = row(report, "v:alpha/v1");
    expect(v1.values.video_status).toBe("published");
    expect(v1.outcome).toBe("synced");
    // The slot now holds the date TokPortal moved it to; the note names both dates.
    const to = bundleOf("alpha").videos.find((v) => v.position === 1)!.target_publish_date!;
    expect(to > "2026-09-04").toBe(true);
    expectNote(v1, "date_moved_by_tokportal", undefined, { from: "2026-09-04", to });
  });

  it("a bundle already published on TokPortal counts as done for its publish step", async () => {
    const { id } = await publishedBundle();
    const plan = planOf([]);
    plan.ops = [
      {
        id: "alpha:publishBundle",
        kind: "publishBundle",
        bundleRef: "alpha",
        bundleId: id,
        rows: ["b:alpha"],
        reason: "t",
        cost: 0,
      },
    ];
    plan.rows = [
      planned("b:alpha", { bundle_id: id, bundle_status: "pending_setup" }, ["alpha:publishBundle"]),
    ];
    const report = await applyReport(plan, client(), noBudget);

    expect(report.ops["alpha:publishBundle"]).toEqual({ status: "done", message: "already published" });
    expect(row(report, "b:alpha")).toMatchObject({
      outcome: "synced",
      values: { bundle_status: "published" },
    });
  });
});

describe("paid video options", () => {
  it("a sound volume is charged with the batch: counted for the run and added to the bundle's credits", async () => {
    const part = coldBundle({
      ref: "alpha",
      videos: [{ ref: "v1", item: { volume_original_sound: 80 } }, { ref: "v2" }],
    });
    const batch = part.ops.find((o) => o.kind === "configureVideos")!;
    batch.cost = 1;
    const report = await applyReport(planOf([part]), client(), { maxCredits: 40, balance: null });

    // 32 + 2 × 2 for the bundle, 1 for the volume: exactly max_credits 37 would do; 40 leaves room.
    expect(report.creditsCharged).toBe(37);
    expect(credits()).toBe(10_000 - 37);
    expect(row(report, "b:alpha").values.credits_charged).toBe(37);
    expect(row(report, "b:alpha").creditsCharged).toBe(37);
  });

  it("a batch that would pass max_credits is not sent, and the bundle's later steps wait", async () => {
    const part = coldBundle({ ref: "alpha", videos: [{ ref: "v1", item: { volume_added_sound: 10 } }] });
    part.ops.find((o) => o.kind === "configureVideos")!.cost = 1;
    const start = logStart();
    const report = await applyReport(planOf([part]), client(), { maxCredits: 34, balance: null });

    expect(writesSince(start)).toEqual(["createBundle:201", "configureBundleAccount:200"]);
    expect(row(report, "v:alpha/v1")).toMatchObject({ outcome: "pending" });
    expectFinding(row(report, "v:alpha/v1"), "credits_short", undefined, {
      step: "configureVideos",
      cost: 1,
      missing: 1,
      limit: "max_credits",
      of: 34,
    });
    expect(row(report, "b:alpha").outcome).toBe("pending");
    expect(report.ops["alpha:publishBundle"]?.status).toBe("skipped");
  });
});

describe("waiting is pending, not an error", () => {
  it("after a not-ready publish is fixed, the next run publishes (the refusal is not replayed)", async () => {
    const part = coldBundle({ ref: "alpha" });
    const withoutAccount = { ...part, ops: part.ops.filter((o) => o.kind !== "configureAccount") };
    const first = await applyReport(planOf([withoutAccount]), client(), noBudget);
    expect(row(first, "b:alpha").outcome).toBe("pending");
    const id = bundleOf("alpha").id;

    // The user fills the profile: the bundle row's fingerprint changes, and the plan configures the account.
    const account = part.ops.find((o) => o.kind === "configureAccount")!;
    const plan = planOf([]);
    plan.ops = [
      { ...account, bundleId: id },
      {
        id: "alpha:publishBundle",
        kind: "publishBundle",
        bundleRef: "alpha",
        bundleId: id,
        rows: ["b:alpha"],
        reason: "t",
        cost: 0,
      },
    ];
    // The same configured slots as the first time: only the bundle row's content tells the two apart.
    const videoRows = first.rows
      .filter((r) => r.row.id.startsWith("v:"))
      .map((r) => ({ ...planned(r.row.id, r.values, []), fingerprint: r.values.sync_fingerprint as string }));
    expect(videoRows.map((r) => r.remote.video_status)).toEqual(["configured", "configured", "configured"]);
    const fixedRow = { ...planned("b:alpha", { bundle_id: id }, []), fingerprint: "v1-filled-profile" };
    const start = logStart();
    plan.rows = [{ ...fixedRow, fingerprint: planOf([part]).rows[0]!.fingerprint }, ...videoRows];
    const unchanged = await applyReport(plan, client(), noBudget);
    // Control: with the row's content unchanged, TokPortal answers the stored refusal again.
    expect(writesSince(start)).toEqual(["configureBundleAccount:200", "publishBundle:409:replayed"]);
    expect(row(unchanged, "b:alpha").outcome).toBe("pending");

    const next = logStart();
    plan.rows = [fixedRow, ...videoRows];
    const second = await applyReport(plan, client(), noBudget);

    expect(writesSince(next)).toEqual(["configureBundleAccount:200:replayed", "publishBundle:200"]);
    expect(row(second, "v:alpha/v2").values.video_status).toBe("published");
    expect(row(second, "b:alpha")).toMatchObject({
      outcome: "synced",
      values: { bundle_status: "published" },
    });
  });

  it("publish capacity cooling down: the bundle row is pending, the other bundle is published", async () => {
    emu.setRules({ publishCapacity: { limit: 1, windowSeconds: 3600 } });
    const plan = planOf([coldBundle({ ref: "alpha", row: 2 }), coldBundle({ ref: "beta", row: 3 })]);
    const report = await applyReport(plan, client(), { ...noBudget, concurrency: 1 });

    expect(row(report, "b:alpha").outcome).toBe("synced");
    const b = row(report, "b:beta");
    expect(b.outcome).toBe("pending");
    expect(b.code).toBe("capacity_cooldown");
    // TokPortal's own words are carried, and its Retry-After becomes a time to expect progress (wall clock).
    const retryAt = /expect progress from (\d{4}-\d\d-\d\d) (\d\d:\d\d) UTC/.exec(b.message);
    expect(retryAt).not.toBeNull();
    expectFinding(b, "capacity_cooldown", undefined, {
      step: "publishBundle",
      what: "publish",
      message: "Workspace bundle publication capacity is used up; try again later",
      retryAt: `${retryAt![1]}T${retryAt![2]}:00.000Z`,
    });
    expect(b.values.bundle_id).toBe(bundleOf("beta").id);
    expect(report.ops["beta:publishBundle"]?.status).toBe("failed");
  });

  it("402 from TokPortal: the rows are pending with what is missing, nothing else is sent for that bundle", async () => {
    await emu.admin("POST", "/credits", { set: 20 });
    const start = logStart();
    const report = await applyReport(planOf([coldBundle({ ref: "alpha" })]), client(), noBudget);

    expect(writesSince(start)).toEqual(["createBundle:402"]);
    const b = row(report, "b:alpha");
    expect(b.outcome).toBe("pending");
    expectFinding(b, "insufficient_credits", undefined, {
      step: "createBundle",
      missing: 18,
      required: 38,
      available: 20,
    });
    expect(row(report, "v:alpha/v1").outcome).toBe("pending");
    expect(report.creditsCharged).toBe(0);
  });

  it("a server that keeps failing: rows say TokPortal did not answer and the next run retries", async () => {
    emu.setFaults({
      rules: [{ operationId: "configureBundleAccount", action: "status", status: 503, always: true }],
    });
    const start = logStart();
    const report = await applyReport(planOf([coldBundle({ ref: "alpha" })]), client(), noBudget);

    expect(writesSince(start)).toEqual([
      "createBundle:201",
      "configureBundleAccount:503",
      "configureBundleAccount:503",
      "configureBundleAccount:503",
    ]);
    const b = row(report, "b:alpha");
    expect(b.outcome).toBe("error");
    expectFinding(b, "tokportal_unanswered", undefined, {
      step: "configureAccount",
      why: "HTTP 503 SERVICE_UNAVAILABLE",
      attempts: 3,
    });
    // The id from the create is kept although a later step failed.
    expect(b.values.bundle_id).toBe(bundleOf("alpha").id);
    expect(b.values.credits_charged).toBe(38);
    expect(row(report, "v:alpha/v2").outcome).toBe("skipped");
  });

  it("a stopped run starts no new step; what was not started is pending", async () => {
    const controller = new AbortController();
    const report = await applyReport(planOf([coldBundle({ ref: "alpha" })]), client(), {
      ...noBudget,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.opId === "alpha:createBundle") controller.abort();
      },
    });
    expect(Object.values(emu.state().bundles)).toHaveLength(1);
    expect(report.ops["alpha:createBundle"]?.status).toBe("done");
    expect(report.ops["alpha:configureAccount"]?.status).toBe("skipped");
    expect(row(report, "b:alpha").outcome).toBe("pending");
    expectFinding(row(report, "b:alpha"), "stopped_by_user", undefined, {});
  });
});
