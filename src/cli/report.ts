/**
 * `tokportal-sync report`: the campaign's status page as one HTML file. The command's definition; the
 * work is in report-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { ReportFlags } from "./report-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync report                          # ./tokportal-sync.json's campaign → report.html
  $ tokportal-sync report -c acme.json --out acme.html

The file holds everything (styles, script, the chart library and the data): open it offline, mail it.
It reads the sheet, its run log (run_log) and analytics history (analytics_history); it calls nothing on
TokPortal and writes nothing to the sheet.

Exit codes:
  0  written
  2  usage or config error, or the file cannot be written`;

export function reportCommand(): Command {
  return new Command("report")
    .description("Write the campaign's status page as one self-contained HTML file (reads only).")
    .option("-c, --config <file>", "the campaign config", DEFAULT_CONFIG_FILE)
    .option("--out <file>", "where to write it", "report.html")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: ReportFlags) => {
      const { runReportCommand } = await import("./report-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runReportCommand(flags, processIO());
    });
}
