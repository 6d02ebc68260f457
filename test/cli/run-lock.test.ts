import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exitCodeForError, SourceLockedError } from "../../src/cli/outcome.ts";
import { RUN_LOCK_STALE_MS, runLockTarget, withRunLock } from "../../src/cli/run-lock.ts";
import { loadConfig } from "../../src/config/load.ts";
import { EXIT } from "../../src/exit-codes.ts";
import { lockPathFor } from "../../src/sources/index.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

let fake: FakeSheets;
beforeAll(async () => {
  fake = await startFakeSheets();
});
afterAll(() => fake?.close());

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-runlock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function csvConfig(name = "a.json", videos = "videos.csv") {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ tokportal: { base_url: "sandbox" }, source: { type: "csv", videos } }),
  );
  return loadConfig(file, {});
}

function sheetsConfig(id: string) {
  const file = path.join(dir, `${id}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      tokportal: { base_url: "sandbox" },
      source: { type: "google_sheets", spreadsheet_id: id, videos_tab: "Videos" },
    }),
  );
  return loadConfig(file, {});
}

describe("withRunLock", () => {
  it("holds a CSV sheet's lock next to its videos file, apart from the CsvSource's write lock", async () => {
    const loaded = csvConfig();
    const { lockPath } = runLockTarget(loaded);
    const videos = path.join(dir, "videos.csv");
    expect(lockPath).toBe(`${videos}.run.lock`);
    expect(lockPath).not.toBe(lockPathFor(videos));
    const seen = await withRunLock(loaded, async () => existsSync(lockPath));
    expect(seen).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
  });

  it("refuses a second run on the same sheet with SourceLockedError (exit 5) naming the lock", async () => {
    const first = csvConfig("a.json");
    // Another config file on the same videos file is the same sheet.
    const second = csvConfig("b.json");
    let inner: unknown = null;
    let ran = false;
    await withRunLock(first, async () => {
      inner = await withRunLock(second, async () => {
        ran = true;
      }).catch((err: unknown) => err);
    });
    expect(ran).toBe(false);
    expect(inner).toBeInstanceOf(SourceLockedError);
    expect((inner as Error).message).toContain("videos.csv.run.lock");
    expect(exitCodeForError(inner)).toBe(EXIT.locked);
    // Released by the first run: a later run gets it.
    await expect(withRunLock(second, async () => 42)).resolves.toBe(42);
  });

  it("releases the lock when the run throws", async () => {
    const loaded = csvConfig();
    await expect(
      withRunLock(loaded, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(runLockTarget(loaded).lockPath)).toBe(false);
  });

  it("lets different sheets run at once", async () => {
    const a = csvConfig("a.json", "one.csv");
    const b = csvConfig("b.json", "two.csv");
    const both = await withRunLock(a, () => withRunLock(b, async () => "both"));
    expect(both).toBe("both");
  });

  it("takes over a stale lock left by a crashed run", async () => {
    const loaded = csvConfig();
    const { lockPath } = runLockTarget(loaded);
    await mkdir(lockPath);
    const old = (Date.now() - RUN_LOCK_STALE_MS - 5_000) / 1000;
    utimesSync(lockPath, old, old);
    await expect(withRunLock(loaded, async () => "ran")).resolves.toBe("ran");
    expect(existsSync(lockPath)).toBe(false);
  });

  it("refuses while a fresh lock is held by another process", async () => {
    const loaded = csvConfig();
    await mkdir(runLockTarget(loaded).lockPath);
    await expect(withRunLock(loaded, async () => "ran")).rejects.toBeInstanceOf(SourceLockedError);
  });

  it("keys a Google Sheets run by spreadsheet id in the temp dir, and says it covers this machine", async () => {
    const tmp = path.join(dir, "tmp");
    await mkdir(tmp);
    const a = sheetsConfig("sheetAAAAAAAAAA");
    const b = sheetsConfig("sheetBBBBBBBBBB");
    for (const id of ["sheetAAAAAAAAAA", "sheetBBBBBBBBBB"]) {
      fake.createSpreadsheet({ id, tabs: [{ title: "Videos" }] });
    }
    const opts = { tmpDir: tmp, sheets: { rootUrl: fake.rootUrl, auth: { apiKey: "test-key" } } };
    expect(runLockTarget(a, tmp).lockPath).toBe(path.join(tmp, "tokportal-sync-sheetAAAAAAAAAA.run.lock"));
    const err = await withRunLock(a, () => withRunLock(a, async () => 1, opts), opts).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceLockedError);
    expect(err).toMatchObject({ code: "run_lock_held" });
    expect((err as Error).message).toMatch(/on this machine/);
    await expect(withRunLock(a, () => withRunLock(b, async () => 2, opts), opts)).resolves.toBe(2);
  });
});
