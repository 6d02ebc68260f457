/**
 * The pure pieces of the Sheets source: cell text, write rectangles and chunks, the limiter's window, and
 * error classification.
 */
import { describe, expect, it } from "vitest";
import { columnIndex, columnLetters, echoedExtent, quoteTitle, rangeA1 } from "../../src/sources/a1.ts";
import { isRetryable, parseFailure, redact } from "../../src/sources/sheets-calls.ts";
import { cellText, numberText, patchText, serialToDate } from "../../src/sources/sheets-cells.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import { chunkWrites, rectangles } from "../../src/sources/sheets-ranges.ts";
import type { CellWrite } from "../../src/sources/write-plan.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";

describe("cell text", () => {
  it("turns serial dates into YYYY-MM-DD only in date columns", () => {
    expect(serialToDate(1)).toBe("1899-12-31");
    expect(serialToDate(61)).toBe("1900-03-01");
    expect(serialToDate(46357)).toBe("2026-12-01");
    expect(serialToDate(46357.75)).toBe("2026-12-01");
    expect(cellText(46357, true)).toBe("2026-12-01");
    expect(cellText(46357, false)).toBe("46357");
    expect(cellText("2026-12-01", true)).toBe("2026-12-01");
  });

  it("writes numbers and booleans as a user would have typed them", () => {
    expect(numberText(0.1 + 0.2)).toBe("0.3");
    expect(numberText(1e20)).toBe("100000000000000000000");
    expect(numberText(-42)).toBe("-42");
    expect(numberText(1.5e-7)).toBe("0.00000015");
    expect(cellText(true, false)).toBe("TRUE");
    expect(cellText(false, false)).toBe("FALSE");
    expect(cellText("  padded ", false)).toBe("padded");
    expect(cellText(undefined, false)).toBe("");
    expect(patchText(null)).toBe("");
    expect(patchText(1500)).toBe("1500");
  });
});

describe("A1 helpers", () => {
  it("quotes every title and reads the echoed grid size", () => {
    expect(quoteTitle("It's")).toBe("'It''s'");
    expect(rangeA1("videos", 2, 2, 27, 27)).toBe("'videos'!AB2");
    expect(rangeA1("videos", 2, 9, 0, 3)).toBe("'videos'!A2:D9");
    expect(echoedExtent("'My tab'!A1:AB1000")).toEqual({ rows: 1000, columns: 28 });
    expect(echoedExtent(undefined)).toBeNull();
    for (const n of [0, 25, 26, 701, 702]) expect(columnIndex(columnLetters(n))).toBe(n);
  });
});

describe("write rectangles and chunks", () => {
  const w = (row: number, col: number, value: string | number): CellWrite => ({ row, col, value });

  it("merges adjacent rows into one range with nulls for cells left alone", () => {
    const data = [
      ...rectangles("t", [w(2, 5, "a"), w(3, 3, 1), w(3, 6, ""), w(5, 4, "x")]),
      ...rectangles("other", [w(2, 1, "h")]),
    ];
    expect(data).toEqual([
      {
        range: "'t'!D2:G3",
        values: [
          [null, null, "a"],
          [1, null, null, ""],
        ],
      },
      { range: "'t'!E5", values: [["x"]] },
      { range: "'other'!B2", values: [["h"]] },
    ]);
  });

  it("splits into bodies under the budget without losing or reordering a cell", () => {
    const writes: CellWrite[] = [];
    for (let r = 2; r < 2002; r++) writes.push(w(r, 0, `value-${r}`), w(r, 2, r));
    const data = rectangles("t", writes);
    expect(data).toHaveLength(1);
    const chunks = chunkWrites(data, 10_000);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      const body = JSON.stringify({ valueInputOption: "RAW", data: c.data });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(10_000);
    }
    const rows = chunks.flatMap((c) => c.data.flatMap((d) => d.values));
    expect(rows).toHaveLength(2000);
    expect(rows[0]).toEqual(["value-2", null, 2]);
    expect(rows[1999]).toEqual(["value-2001", null, 2001]);
    // Ranges follow each other with no gap.
    const starts = chunks.flatMap((c) => c.data.map((d) => Number(/A(\d+)/.exec(d.range)?.[1])));
    let expected = 2;
    chunks.forEach((c, i) => {
      expect(starts[i]).toBe(expected);
      expected += c.data.reduce((n, d) => n + d.values.length, 0);
    });
    expect(chunkWrites(data)).toHaveLength(1);
  });
});

describe("rate limiter", () => {
  it("allows at most `limit` requests in any window and serves callers in order", async () => {
    const clock = new ManualClock(0);
    const limiter = new SheetsRateLimiter({ limit: 3, windowMs: 1000, clock });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        limiter.acquire().then(() => {
          times[i] = clock.now();
        }),
      ),
    );
    expect(times).toEqual([0, 0, 0, 1000, 1000, 1000, 2000, 2000]);
    for (let i = 3; i < times.length; i++)
      expect((times[i] as number) - (times[i - 3] as number)).toBeGreaterThanOrEqual(1000);
    expect(limiter.waitedMs).toBe(2000);
  });
});

describe("failure classification", () => {
  const gaxiosLike = (status: number, error: Record<string, unknown>) => ({
    message: "Request failed https://sheets.googleapis.com/v4/spreadsheets/x?key=AIzaSECRET",
    response: { status, data: { error } },
  });

  it("retries 429, 5xx, quota 403s and lost connections, nothing else", () => {
    const quota403 = parseFailure(
      gaxiosLike(403, { message: "Quota exceeded for quota metric", status: "PERMISSION_DENIED" }),
    );
    expect(isRetryable(quota403)).toBe(true);
    const denied = parseFailure(
      gaxiosLike(403, { message: "The caller does not have permission", status: "PERMISSION_DENIED" }),
    );
    expect(isRetryable(denied)).toBe(false);
    expect(isRetryable(parseFailure(gaxiosLike(429, { message: "x", status: "RESOURCE_EXHAUSTED" })))).toBe(
      true,
    );
    expect(isRetryable(parseFailure(gaxiosLike(502, { message: "x" })))).toBe(true);
    expect(isRetryable(parseFailure(gaxiosLike(400, { message: "Unable to parse range" })))).toBe(false);
    const reset = parseFailure({ code: "ECONNRESET", message: "socket hang up" });
    expect(reset).toMatchObject({ status: null, code: "ECONNRESET" });
    expect(isRetryable(reset)).toBe(true);
  });

  it("redacts keys and tokens from messages", () => {
    expect(parseFailure({ message: "GET https://x/y?alt=json&key=AIzaSECRET failed" }).message).toBe(
      "GET https://x/y?alt=json&key=[redacted] failed",
    );
    expect(redact("Authorization: Bearer ya29.abc-def")).toBe("Authorization: Bearer [redacted]");
    expect(redact(`key sk_${"ab".repeat(32)}`)).toBe("key sk_[redacted]");
  });
});
