/**
 * End to end: rows that cannot be synced are reported on their own row, naming the column, and every
 * other row of the same campaign syncs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FindingCode, where } from "../../src/findings/index.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-rows-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function video(ref: string, bundle: string, date: string, extra: Record<string, string> = {}) {
  return {
    video_ref: ref,
    bundle_ref: bundle,
    video_type: "video",
    description: `Extra look ${ref}`,
    target_publish_date: date,
    video_url: `https://example.com/v/${ref}.mp4`,
    publish: "yes",
    ...extra,
  };
}

/** Expected problem rows: video_ref → [status, the finding's code, the column it names]. */
const PROBLEMS: Record<string, [string, FindingCode, string]> = {
  // A bad cell.
  "c02-bad": ["error", "not_boolean", "publish"],
  // A duplicate ref: both rows.
  "c02-dup": ["error", "ref_duplicate", "video_ref"],
  // A bundle_ref that is neither a bundles row nor a bundle on TokPortal.
  "ghost-v1": ["error", "bundle_ref_unknown", "bundle_ref"],
  // Too soon: the emulator's today is 2026-09-01 and a new account needs 3 days.
  "c03-soon": ["error", "date_too_soon", "target_publish_date"],
  // The fourth video of bundle c03 on 2026-09-20.
  "c03-d4": ["error", "day_full", "target_publish_date"],
};

describe("a campaign with bad rows", () => {
  it("reports each on its row with the column, syncs every other row, and locks an edit of a published video", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 3 });
    editCsv(files.videosPath, (rows) => [
      ...rows,
      video("c02-bad", "c02", "2026-09-15", { publish: "maybe" }),
      video("c02-dup", "c02", "2026-09-16"),
      video("c02-dup", "c02", "2026-09-17", { description: "same ref again" }),
      video("ghost-v1", "ghost", "2026-09-15"),
      video("c03-soon", "c03", "2026-09-02"),
      video("c03-d1", "c03", "2026-09-20"),
      video("c03-d2", "c03", "2026-09-20"),
      video("c03-d3", "c03", "2026-09-20"),
      video("c03-d4", "c03", "2026-09-20"),
    ]);

    const first = await syncCsv(emu, files);

    const check = (report: RunReport, lockedRef?: string) => {
      const rows = readCsvRows(files.videosPath);
      expect(rows).toHaveLength(9 + 9);
      for (const r of rows) {
        const ref = r["video_ref"]!;
        const expected = PROBLEMS[ref];
        const rowNumber = rows.indexOf(r) + 2;
        // The row's result in the run report: the same row, and the message the sheet shows.
        const res = resultOf(report, `v:${r["bundle_ref"]}/${ref}`);
        if (ref !== lockedRef && !expected) expect(res.code, ref).toBeUndefined();
        else {
          // Said on this row (the duplicate ref's two rows share one result that names both).
          expect(res.message, ref).toMatch(new RegExp(`${where([rowNumber], res.column)}\\b`));
          expect(r["sync_message"], ref).toBe(res.message);
        }
        if (ref === lockedRef) {
          expect(r["sync_status"], ref).toBe("locked");
          expect(res, ref).toMatchObject({ outcome: "locked", code: "video_changed_too_late" });
        } else if (expected) {
          expect(r["sync_status"], ref).toBe(expected[0]);
          expect({ code: res.code, column: res.column }, ref).toEqual({
            code: expected[1],
            column: expected[2],
          });
          expect(r["video_id"], ref).toBe("");
        } else {
          expect(r["sync_status"], ref).toBe("synced");
          expect(r["sync_message"], ref).toBe("");
          expect(r["video_id"], ref).not.toBe("");
        }
      }
      for (const b of readCsvRows(files.bundlesPath)) {
        expect(b["sync_status"], b["bundle_ref"]).toBe("synced");
      }
    };
    check(first);
    // The dates at fault, as the findings carry them.
    expectFinding(resultOf(first, "v:c03/c03-soon"), "date_too_soon", "target_publish_date", {
      date: "2026-09-02",
      days: 3,
      creating: true,
      earliest: "2026-09-04",
    });
    expectFinding(resultOf(first, "v:c03/c03-d4"), "day_full", "target_publish_date", {
      bundleRef: "c03",
      perDay: 3,
      date: "2026-09-20",
      taken: ["row 16", "row 17", "row 18"],
    });
    // The two rows of the duplicate ref share one row id (`v:c02/c02-dup`), so they are one result.
    expect(first.counts).toEqual({ synced: 3 + 12, pending: 0, locked: 0, error: 5, skipped: 0 });

    // The published videos on TokPortal: every valid row, and no slot carries a refused one.
    const remote = Object.values(emu.state().bundles);
    const refs = remote.flatMap((b) => b.videos.map((v) => v.external_ref).filter((r) => r !== null));
    expect(refs.sort()).toEqual(
      [
        ...["c01", "c02", "c03"].flatMap((b) => [1, 2, 3].map((i) => `${b}-v${i}`)),
        "c03-d1",
        "c03-d2",
        "c03-d3",
      ].sort(),
    );
    expect(remote.every((b) => b.status === "published")).toBe(true);

    // A published video's media changes: locked (only description, date and name can still change), no
    // call; everything else as before.
    editCsv(files.videosPath, (rows) => {
      rows.find((r) => r["video_ref"] === "c01-v2")!["video_url"] = "https://example.com/v/too-late.mp4";
      return rows;
    });
    const start = (emu.requestLog().at(-1)?.index ?? -1) + 1;
    const second = await syncCsv(emu, files);
    check(second, "c01-v2");
    expect(second.counts).toEqual({ synced: 3 + 11, pending: 0, locked: 1, error: 5, skipped: 0 });
    expect(emu.requestLog(start).filter((e) => e.method !== "GET")).toEqual([]);
    const slot = remote
      .find((b) => b.external_ref === "t-c01")!
      .videos.find((v) => v.external_ref === "c01-v2");
    expect(slot?.description).toBe("Look 2 of c01, styled three ways #spring");
  });
});
