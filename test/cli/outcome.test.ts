/**
 * How errors and run reports map to exit codes, and the summary's shape. The lock case uses a real
 * CsvSource refused by a lock another process (here: proper-lockfile) holds, so the test breaks if the
 * source's wording ever changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { afterAll, describe, expect, it } from "vitest";
import { TokPortalError } from "../../src/api/errors.ts";
import { exitCodeForError, exitCodeForReport } from "../../src/cli/outcome.ts";
import { formatSummary, MAX_LISTED_ROWS, redact } from "../../src/cli/output.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { EXIT } from "../../src/exit-codes.ts";
import type { FindingCode } from "../../src/findings/index.ts";
import { CsvSource, lockPathFor, SourceConfigError, SourceError } from "../../src/sources/index.ts";
import { RunRefusedError } from "../../src/sync/run.ts";
import type { RowResult, RunReportOf, SyncStatus } from "../../src/sync/types.ts";

const dir = mkdtempSync(path.join(tmpdir(), "tps-outcome-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const apiError = (status: number, code: string) =>
  new TokPortalError({
    kind: "http",
    status,
    code,
    message: `${code} said TokPortal`,
    operationId: "listBundles",
  });

function row(n: number, outcome: SyncStatus, message = "", code?: FindingCode): RowResult {
  return {
    ...(code ? { code } : {}),
    row: {
      id: `v:b/v${n}`,
      table: "videos",
      rowNumbers: [n + 1],
      key: { table: "videos", rowNumber: n + 1 },
    },
    outcome,
    message,
    values: {},
    changed: false,
    creditsCharged: 0,
  };
}

function report(rows: RowResult[], deferred: string[] = []): RunReportOf<"apply"> {
  const counts = { synced: 0, pending: 0, locked: 0, error: 0, skipped: 0 };
  for (const r of rows) counts[r.outcome] += 1;
  return {
    mode: "apply",
    source: "bundles.csv + videos.csv",
    startedAt: "2026-09-01T12:00:00.000Z",
    durationMs: 1234,
    plan: {
      version: 1,
      createdAt: "2026-09-01T12:00:00.000Z",
      prefix: "",
      prune: false,
      inputsFingerprint: "x",
      ops: [],
      rows: [],
      orphans: { bundles: [], videos: [] },
      totals: {
        cost: 0,
        deferred: { bundles: deferred, cost: deferred.length * 42 },
        balance: 500,
        maxCredits: 100,
        ops: {},
        rows: counts,
      },
    },
    apply: { rows, creditsCharged: 84, ops: {} },
    rows,
    counts,
    creditsCharged: 84,
    calls: { listBundles: 1, createBundle: 2 },
    rateLimited: 3,
    write: { cellsWritten: 12, requests: 2, rowsNotFound: 0 },
    warnings: [],
    analytics: null,
  };
}

describe("exitCodeForError", () => {
  it("3 for TokPortal refusing the key, also when wrapped", () => {
    expect(exitCodeForError(apiError(401, "AUTH_REVOKED_KEY"))).toBe(EXIT.auth);
    expect(exitCodeForError(apiError(403, "AUTH_INSUFFICIENT_SCOPE"))).toBe(EXIT.auth);
    expect(exitCodeForError(new Error("apply stopped", { cause: apiError(401, "AUTH_INVALID_KEY") }))).toBe(
      EXIT.auth,
    );
    expect(exitCodeForError(apiError(403, "FORBIDDEN_PLAN_TIER"))).toBe(EXIT.rowsFailed);
    expect(exitCodeForError(apiError(503, "HTTP_503"))).toBe(EXIT.rowsFailed);
  });

  it("5 for the CSV source's own lock error", async () => {
    const videos = path.join(dir, "videos.csv");
    writeFileSync(videos, "video_ref,bundle_ref,description\nv1,b1,hello\n");
    const release = await lockfile.lock(videos, { realpath: false, lockfilePath: lockPathFor(videos) });
    try {
      const snapshot = await new CsvSource({ videosPath: videos }).read();
      const err = await snapshot
        .write([{ key: { table: "videos", rowNumber: 2 }, values: { sync_status: "synced" } }])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect(exitCodeForError(err)).toBe(EXIT.locked);
    } finally {
      await release();
    }
  });

  it("2 for config and source errors, 4 for a declined spend, 1 for anything else", () => {
    expect(exitCodeForError(new ConfigError(["a", "b"]))).toBe(EXIT.usage);
    expect(exitCodeForError(new SourceConfigError("source.videos is empty"))).toBe(EXIT.usage);
    expect(exitCodeForError(new SourceError("cannot read videos.csv"))).toBe(EXIT.usage);
    expect(exitCodeForError(new RunRefusedError("declined", "no"))).toBe(EXIT.budget);
    expect(exitCodeForError(new TypeError("bug"))).toBe(EXIT.rowsFailed);
  });
});

describe("exitCodeForReport", () => {
  it("0 when every row synced, pending or skipped for its own reasons", () => {
    expect(
      exitCodeForReport(
        report([row(1, "synced"), row(2, "pending", "waiting for the account"), row(3, "skipped")]),
      ),
    ).toBe(EXIT.ok);
  });
  it("1 when a row is in error or locked", () => {
    expect(exitCodeForReport(report([row(1, "synced"), row(2, "error", "bad")]))).toBe(EXIT.rowsFailed);
    expect(exitCodeForReport(report([row(1, "locked", "published")]))).toBe(EXIT.rowsFailed);
  });
  it("4 when bundles wait for credits (planned, or refused while applying), before 1", () => {
    expect(exitCodeForReport(report([row(1, "pending")], ["b2"]))).toBe(EXIT.budget);
    expect(
      exitCodeForReport(
        report([row(1, "pending", "needs 6 more credits (max_credits 70)", "credits_short")]),
      ),
    ).toBe(EXIT.budget);
    expect(
      exitCodeForReport(
        report([
          row(1, "error", "x"),
          row(2, "pending", "TokPortal has too few credits: needs 3 more credit(s)", "insufficient_credits"),
        ]),
      ),
    ).toBe(EXIT.budget);
    // Pending for another reason, whatever its words: not a credit wait.
    expect(
      exitCodeForReport(report([row(1, "pending", "needs 6 more credits", "account_ref_waiting")])),
    ).toBe(EXIT.ok);
  });
});

describe("formatSummary", () => {
  it("says rows by outcome, credits, calls, 429s and where results went", () => {
    const text = formatSummary(
      report([row(1, "synced"), row(2, "error", "Row 3, column description: too long")], ["b9"]),
    );
    expect(text).toBe(
      [
        "Sync of bundles.csv + videos.csv",
        "  rows:     2 rows: 1 synced, 1 error",
        "  credits:  84 charged (balance before 500), max_credits 100",
        "  waiting:  1 bundle for 42 more credits: b9",
        "  calls:    3 TokPortal calls, 3 rate-limited (429)",
        "  results:  12 cells written to bundles.csv + videos.csv",
        "  time:     1.2 s",
        "",
        "Rows not synced:",
        "  error   videos: Row 3, column description: too long",
        "",
      ].join("\n"),
    );
  });

  it(`lists at most ${MAX_LISTED_ROWS} rows, then counts the rest`, () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(i + 1, "pending", `waiting ${i + 1}`));
    const lines = formatSummary(report(rows)).trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("  pending "))).toHaveLength(MAX_LISTED_ROWS);
    expect(lines.at(-2)).toBe("  pending videos row 21: waiting 20");
    expect(lines.at(-1)).toBe("  … and 5 more");
  });

  it("has colour codes only when asked", () => {
    const r = report([row(1, "synced")]);
    expect(formatSummary(r)).not.toContain("\x1b[");
  });
});

describe("redact", () => {
  it("removes the key in use and anything key-shaped", () => {
    const key = `sk_${"c0ffee".repeat(10)}abcd`;
    expect(redact(`a ${key} b`, key)).not.toContain(key);
    expect(redact(`token sk_${"1".repeat(64)} here`, null)).not.toMatch(/sk_1{64}/);
  });
});
