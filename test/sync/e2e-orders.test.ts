/**
 * End to end on the sandbox's clock: an account ordered with advanced warming (priced and charged with its
 * breakdown), a follow-up videos_only order naming that bundles row, pending until the manager delivers
 * the account, then created once on it; the delivered account's cells read once. Reruns and a create
 * whose answer is lost never create twice (counted from the sandbox's request log and ledger). Then the
 * sandbox cancels the bundle: its rows are locked with the reason and nothing more is sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editCsv, readCsvRows, syncCsv, writeCsv } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
const { debits } = emulatorWorld(emu);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-orders-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const BUNDLE_HEADER = [
  "bundle_ref",
  "bundle_type",
  "country",
  "username",
  "visible_name",
  "biography",
  "profile_picture",
  "advanced_warming_terms",
  "account_bundle_ref",
  "publish",
];
const VIDEO_HEADER = [
  "video_ref",
  "bundle_ref",
  "description",
  "target_publish_date",
  "video_url",
  "publish",
];

function writeOrders(bundles: Record<string, string>[] = []): { bundlesPath: string; videosPath: string } {
  const bundlesPath = path.join(dir, "bundles.csv");
  const videosPath = path.join(dir, "videos.csv");
  writeCsv(bundlesPath, BUNDLE_HEADER, [
    {
      bundle_ref: "acc",
      bundle_type: "account_and_videos",
      country: "US",
      username: "daily.acc",
      visible_name: "Daily Acc",
      biography: "Fresh looks",
      profile_picture: "https://example.com/p/acc.jpg",
      advanced_warming_terms: "fitness; gym; yoga",
      publish: "yes",
    },
    { bundle_ref: "fu", bundle_type: "videos_only", account_bundle_ref: "acc", publish: "no" },
    ...bundles,
  ]);
  writeCsv(videosPath, VIDEO_HEADER, [
    {
      video_ref: "v1",
      bundle_ref: "acc",
      description: "First look #spring",
      target_publish_date: "2026-09-10",
      video_url: "https://example.com/v/acc-v1.mp4",
      publish: "yes",
    },
    {
      video_ref: "f1",
      bundle_ref: "fu",
      description: "Follow-up look #spring",
      target_publish_date: "2026-09-12",
      video_url: "https://example.com/v/fu-f1.mp4",
      publish: "no",
    },
  ]);
  return { bundlesPath, videosPath };
}

const since = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const ops = (from: number) => emu.requestLog(from).map((e) => e.operationId ?? `${e.method} ${e.path}`);
const writesSince = (from: number) => emu.requestLog(from).filter((e) => e.method !== "GET");
const rowOf = (file: string, ref: string) => readCsvRows(file).find((r) => r["bundle_ref"] === ref)!;
const bundlesWithRef = (ref: string) =>
  Object.values(emu.state().bundles).filter((b) => b.external_ref === ref);

/** Runs the order and the follow-up up to the delivery of the account (the clock moves past acceptance). */
async function orderAndDeliver(files: { bundlesPath: string; videosPath: string }) {
  const first = await syncCsv(emu, files);
  const acc = bundlesWithRef("t-acc")[0]!;
  expect(acc.advanced_warming_terms).toEqual(["fitness", "gym", "yoga"]);
  // The plan priced the warming from /credit-costs; the sandbox charged it with the right breakdown.
  expect(first.plan.ops.find((o) => o.kind === "createBundle")?.cost).toBe(32 + 2 + 3 * 5);
  expect(debits().map((d) => d.breakdown)).toEqual([
    { account_creation: 32, video_slots: 2, edit_slots: 0, advanced_warming: 15 },
  ]);
  expect(first.creditsCharged).toBe(49);
  expectFinding(resultOf(first, "b:fu"), "account_ref_waiting", "account_bundle_ref", {
    ref: "acc",
    rows: [2],
    accountStatus: null,
  });
  expect(rowOf(files.bundlesPath, "fu")["sync_status"]).toBe("pending");

  // A rerun before delivery: the follow-up still waits, now saying the account's status; nothing is sent.
  const before = since();
  const waiting = await syncCsv(emu, files);
  expect(writesSince(before)).toEqual([]);
  expectFinding(resultOf(waiting, "b:fu"), "account_ref_waiting", "account_bundle_ref", {
    ref: "acc",
    rows: [2],
    accountStatus: "published",
  });
  expect(resultOf(waiting, "v:fu/f1").outcome).toBe("pending");

  // The manager accepts the bundle and delivers the account.
  await emu.advance(3600);
  return bundlesWithRef("t-acc")[0]!;
}

describe("orders: warming, follow-up on the delivered account", () => {
  it("the follow-up is created once, on the delivered account; the account's cells are read once", async () => {
    const files = writeOrders();
    await orderAndDeliver(files);
    const delivered = emu.state().bundles[bundlesWithRef("t-acc")[0]!.id]!;
    const savedId = delivered.saved_account_id!;
    expect(savedId).toBeTruthy();

    const start = since();
    const third = await syncCsv(emu, files);
    const calls = ops(start);
    expect(calls.filter((c) => c === "createBundle")).toHaveLength(1);
    expect(calls.filter((c) => c === "getAccount")).toHaveLength(1);
    const fu = bundlesWithRef("t-fu");
    expect(fu).toHaveLength(1);
    expect(fu[0]!.account_id).toBe(savedId);
    expect(fu[0]!.videos[0]!.external_ref).toBe("f1");
    expect(resultOf(third, "b:fu").outcome).toBe("synced");
    expect(resultOf(third, "v:fu/f1").outcome).toBe("synced");
    // The videos_only order costs its slots only.
    expect(debits().at(-1)!.breakdown).toEqual({
      account_creation: 0,
      video_slots: 2,
      edit_slots: 0,
      advanced_warming: 0,
    });
    const acc = rowOf(files.bundlesPath, "acc");
    expect(acc["saved_account_id"]).toBe(savedId);
    expect(acc["account_username"]).toBe("daily.acc");
    expect(acc["account_url"]).toBe("https://www.tiktok.com/@daily.acc");

    // A rerun with nothing changed: no write, and no account read (the cells show it already).
    const again = since();
    const fourth = await syncCsv(emu, files);
    expect(writesSince(again)).toEqual([]);
    expect(ops(again)).not.toContain("getAccount");
    expect(ops(again)).not.toContain("listCountries");
    expect(fourth.counts.error + fourth.counts.locked + fourth.counts.pending).toBe(0);
    expect(bundlesWithRef("t-fu")).toHaveLength(1);
    expect(debits()).toHaveLength(2);
  });

  it("a follow-up create whose answer is lost is found by the rerun, never bought twice", async () => {
    const files = writeOrders();
    await orderAndDeliver(files);
    emu.setFaults({ rules: [{ operationId: "createBundle", action: "drop_after", times: 1 }] });
    const crashed = await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
    expect(resultOf(crashed, "b:fu").outcome).not.toBe("synced");
    expect(bundlesWithRef("t-fu")).toHaveLength(1);
    expect(resultOf(crashed, "b:fu").values["bundle_id"] ?? null).toBeNull();

    emu.setFaults({});
    const start = since();
    const rerun = await syncCsv(emu, files);
    expect(ops(start)).not.toContain("createBundle");
    expect(resultOf(rerun, "b:fu").outcome).toBe("synced");
    expect(rowOf(files.bundlesPath, "fu")["bundle_id"]).toBe(bundlesWithRef("t-fu")[0]!.id);
    expect(bundlesWithRef("t-fu")).toHaveLength(1);
    // Two debits: the account order and the one follow-up.
    expect(debits()).toHaveLength(2);
  });

  it("a bundle TokPortal cancels: its rows are locked with the reason and nothing more is sent to it", async () => {
    const files = writeOrders();
    await orderAndDeliver(files);
    const acc = bundlesWithRef("t-acc")[0]!;
    const cancelled = await emu.admin("POST", `/bundles/${acc.id}/cancel`, { reason: "validated ban" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.cancellation_reason).toBe("validated ban");

    const start = since();
    const run = await syncCsv(emu, files);
    // Nothing for the cancelled bundle; the follow-up names a cancelled bundle, so it is refused too.
    expect(writesSince(start)).toEqual([]);
    for (const id of ["b:acc", "v:acc/v1"]) {
      expectFinding(resultOf(run, id), "bundle_cancelled", undefined, { reason: "validated ban" });
      expect(resultOf(run, id).outcome).toBe("locked");
    }
    expectFinding(resultOf(run, "b:fu"), "account_ref_cancelled", "account_bundle_ref", {
      ref: "acc",
      rows: [2],
      reason: "validated ban",
    });
    const row = rowOf(files.bundlesPath, "acc");
    expect(row["bundle_status"]).toBe("cancelled");
    expect(row["sync_status"]).toBe("locked");
    expect(row["sync_message"]).toBe(resultOf(run, "b:acc").message);
  });

  it("warming changed after the order locks the row (warming_fixed) and sends nothing", async () => {
    const files = writeOrders();
    await syncCsv(emu, files);
    editCsv(files.bundlesPath, (rows) => {
      rows.find((r) => r["bundle_ref"] === "acc")!["advanced_warming_terms"] =
        "fitness;gym;yoga;run;swim;bike";
      return rows;
    });
    const start = since();
    const run = await syncCsv(emu, files);
    expect(writesSince(start)).toEqual([]);
    expectFinding(resultOf(run, "b:acc"), "warming_fixed", "advanced_warming_terms", {
      column: "advanced_warming_terms",
      want: "advanced warming on 6 terms (fitness; gym; yoga; run; swim; bike)",
      have: "advanced warming on 3 terms (fitness; gym; yoga)",
    });
    expect(resultOf(run, "b:acc").outcome).toBe("locked");
  });

  it("a new account in a videos-only country is refused before sending; /countries is read once", async () => {
    const files = writeOrders([{ bundle_ref: "de", bundle_type: "account_only", country: "DE" }]);
    const start = since();
    const run = await syncCsv(emu, files);
    expectFinding(resultOf(run, "b:de"), "country_videos_only", "country", { country: "DE" });
    expect(ops(start).filter((c) => c === "listCountries")).toHaveLength(1);
    expect(bundlesWithRef("t-de")).toHaveLength(0);
  });
});
