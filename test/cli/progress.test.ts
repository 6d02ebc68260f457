/**
 * The apply progress bar: drawn on a terminal only, never with --json, and gone once stopped.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressBar, progressFor } from "../../src/cli/progress.ts";

/** A stream that says it is a terminal, keeping what is written to it. */
function fakeTerminal(): { stream: PassThrough & { isTTY: boolean; columns: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let text = "";
  stream.on("data", (d: Buffer) => {
    text += d.toString("utf8");
  });
  return { stream, text: () => text };
}

describe("progress bar", () => {
  it("is only made for a terminal's stderr, and never for --json", () => {
    const { stream } = fakeTerminal();
    expect(progressFor({ stderr: stream, stderrTTY: false }, false)).toBeNull();
    expect(progressFor({ stderr: stream }, false)).toBeNull();
    expect(progressFor({ stderr: stream, stderrTTY: true }, true)).toBeNull();
    expect(progressFor({ stderr: stream, stderrTTY: true }, false)).not.toBeNull();
  });

  it("draws steps done out of the total and the failures, then clears itself", async () => {
    const t = fakeTerminal();
    const bar = progressBar(t.stream, { color: false });
    bar.onProgress({ opId: "a", status: "done", done: 1, total: 3 });
    expect(t.text()).toContain("applying");
    expect(t.text()).toContain("1/3 steps");
    bar.onProgress({ opId: "b", status: "failed", done: 2, total: 3 });
    bar.onProgress({ opId: "c", status: "done", done: 3, total: 3 });
    bar.stop();
    bar.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.text()).toContain("3/3 steps, 1 failed");
    // clearOnComplete: the last thing written erases the line, and the cursor is shown again.
    expect(t.text().endsWith("\u001b[2K")).toBe(true);
    expect(t.text()).toContain("\u001b[?25h");
    // Nothing after stop.
    const length = t.text().length;
    bar.onProgress({ opId: "d", status: "done", done: 3, total: 3 });
    expect(t.text().length).toBe(length);
  });
});
