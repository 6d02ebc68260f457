/**
 * What `sync` prints when no terminal is attached (CI, cron, a pipe): no progress bar, no colours, and
 * NO_COLOR wins over FORCE_COLOR. FORCE_COLOR proves the colours exist to be turned off.
 */
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();

const hasAnsi = (text: string): boolean => text.includes("\u001b[");

describe("tokportal-sync sync output without a terminal", () => {
  it("no progress bar on stderr and no ANSI escapes; NO_COLOR wins over FORCE_COLOR", async () => {
    cli.writeConfig();
    const r = await cli.run(["sync", "--yes"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    // The apply ran (so a bar would have had steps to draw), and stderr stayed empty.
    expect(cli.writes().length).toBeGreaterThan(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Sync of /);
    expect(r.stdout).not.toContain("applying");
    expect(hasAnsi(r.stdout)).toBe(false);

    const noColor = await cli.run(["sync", "--yes"], { NO_COLOR: "1", FORCE_COLOR: "1" });
    expect(noColor.code).toBe(0);
    expect(noColor.stderr).toBe("");
    expect(hasAnsi(noColor.stdout)).toBe(false);

    const forced = await cli.run(["sync", "--yes"], { FORCE_COLOR: "1" });
    expect(forced.code).toBe(0);
    expect(hasAnsi(forced.stdout)).toBe(true);
    // Colours are for people: a pipe still gets no bar, even when colours are forced.
    expect(forced.stderr).toBe("");
  });
});
