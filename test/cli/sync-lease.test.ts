/**
 * `tokportal-sync sync` against a sheet whose run lease another machine holds (src/cli/run-lock.ts): the
 * compiled CLI, through the real Sheets client and auth library, with Google served locally
 * (test/support/fake-google/). It exits 5 naming the holder and sends nothing to TokPortal; once the lease
 * has expired, the next sync takes it over, runs, and releases it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeLease, newLease, thisHolder } from "../../src/sources/lease-record.ts";
import { leaseCreateRequest } from "../../src/sources/sheet-lease.ts";
import { SA, serviceAccountKey } from "../support/fake-google/credentials.ts";
import { fakeGoogleHarness, SPREADSHEET_ID } from "../support/fake-google/harness.ts";

const h = fakeGoogleHarness();
// Its own temp dir for the local run lock: other test files run syncs of a sheet with the same id meanwhile.
const tmp = mkdtempSync(path.join(tmpdir(), "tps-lease-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function leaseBy(host: string, acquiredAt: number, ttlMs: number): string {
  const value = encodeLease(newLease(thisHolder(host), acquiredAt, ttlMs));
  h.sheets()
    .book(SPREADSHEET_ID)
    .metadata.request("createDeveloperMetadata", { ...leaseCreateRequest(value).createDeveloperMetadata }, 0);
  return value;
}

describe("sync and the sheet's run lease", () => {
  it("exits 5 naming the holder while another machine's lease is live; takes it over once expired", async () => {
    const key = serviceAccountKey(SA);
    h.google().addServiceAccount(SA, key.publicKey);
    h.campaignSheet([SA]);
    const env = { GOOGLE_APPLICATION_CREDENTIALS: h.file("sa.json", key.json), TMPDIR: tmp };
    h.writeConfig();
    const acquired = Date.now();
    leaseBy("replica-2", acquired, 120_000);

    const refused = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"], env);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("replica-2");
    expect(refused.stderr).toContain(new Date(acquired).toISOString());
    expect(refused.stderr).toContain(new Date(acquired + 120_000).toISOString());
    expect(h.sheets().requests("values.batchGet")).toEqual([]);
    expect(h.column("bundles", "bundle_id")).toEqual([""]);

    // The holder stopped renewing long ago: its lease expired, and the next sync takes it over.
    h.sheets().book(SPREADSHEET_ID).metadata.entries.clear();
    leaseBy("replica-2", acquired - 600_000, 120_000);
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(h.column("bundles", "bundle_id")[0]).toMatch(/\S/);
    expect(h.sheets().book(SPREADSHEET_ID).metadata.entries.size).toBe(0);
  });
});
