/**
 * Country codes end to end: TokPortal stores `USA` for a bundle ordered as `US` (or `us`), `UK` for `GB`.
 * A row written with an alias, an ISO alpha-3 code or in any case is the same country: the rerun sends
 * nothing and locks nothing, and later edits of the row still go through.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countryKey, sameCountry, tokportalCountry } from "../../src/api/countries.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
const { onlyBundle } = emulatorWorld(emu);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "country-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writes = (since: number) => emu.requestLog(since).filter((e) => e.method !== "GET");
const bundleRow = (file: string) => readCsvRows(file)[0]!;

describe("country codes", () => {
  it("reduces ISO alpha-2, alpha-3 and TokPortal's own codes, in any case, to one key", () => {
    for (const code of ["US", "us", "USA", "usa", " Usa "]) expect(countryKey(code)).toBe("US");
    for (const code of ["GB", "gb", "GBR", "UK", "uk"]) expect(countryKey(code)).toBe("GB");
    expect(countryKey("fra")).toBe("FR");
    expect(countryKey("XX")).toBeNull();
    expect(sameCountry("us", "USA")).toBe(true);
    expect(sameCountry("FR", "DE")).toBe(false);
    expect(tokportalCountry("us")).toBe("USA");
    expect(tokportalCountry("GBR")).toBe("UK");
    expect(tokportalCountry("fra")).toBe("FR");
  });

  for (const [written, stored] of [
    ["us", "USA"],
    ["GB", "UK"],
    ["FRA", "FR"],
  ] as const) {
    it(`a row written "${written}" creates a bundle TokPortal stores as ${stored}, and the rerun locks nothing`, async () => {
      const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, country: written });
      await syncCsv(emu, files);
      expect(onlyBundle().country).toBe(stored);
      expect(bundleRow(files.bundlesPath).sync_status).toBe("synced");

      const before = emu.requestLog().length;
      const rerun = await syncCsv(emu, files);
      expect(rerun.counts.locked).toBe(0);
      expect(writes(before)).toEqual([]);
      expect(bundleRow(files.bundlesPath).sync_status).toBe("synced");
    });
  }

  it("a row created under an alias by an earlier version (its fingerprint of another body) syncs with no lock, and its later edits go through", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, country: "US", publish: false });
    await syncCsv(emu, files);
    // What an earlier version left: the same bundle, a fingerprint of the body it sent then.
    editCsv(files.bundlesPath, (rows) => {
      rows[0]!["sync_fingerprint"] = "fingerprint-of-an-earlier-version";
      return rows;
    });
    const r = await syncCsv(emu, files);
    expect(r.counts.locked).toBe(0);
    expect(bundleRow(files.bundlesPath).sync_status).toBe("synced");

    editCsv(files.bundlesPath, (rows) => {
      rows[0]!["biography"] = "A new biography";
      return rows;
    });
    const before = emu.requestLog().length;
    const edit = await syncCsv(emu, files);
    expect(bundleRow(files.bundlesPath).sync_status).toBe("synced");
    expect(edit.counts.locked).toBe(0);
    expect(writes(before).map((e) => e.operationId)).toEqual(["configureBundleAccount"]);
    expect(onlyBundle().account?.biography).toBe("A new biography");
  });
});
