/**
 * `tokportal-sync validate`: check the config and every row without changing anything. The command's
 * definition; the work is in validate-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { ValidateFlags } from "./validate-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync validate                      # ./tokportal-sync.json: config, sheet, every row
  $ tokportal-sync validate -c campaign.json --offline   # without asking TokPortal (no key needed)
  $ tokportal-sync validate --json               # the result as one JSON document

Each row is checked on its own (required cells, types, dates, duplicates, media files), then, when
TokPortal can be reached, against it with reads only: the lead time from TokPortal's today, at most 3
videos per bundle per day, refs that exist twice on TokPortal, bundle refs that exist nowhere. Nothing is
written to TokPortal or to the sheet. Each problem names the row, the column and what to change.

Exit codes:
  0  every row is valid (notes about rows that wait on TokPortal are fine)
  1  some rows are not valid (listed with their row number and column)
  2  config error, or the sheet cannot be read
  3  TokPortal refused the API key`;

export function validateCommand(): Command {
  return new Command("validate")
    .description("Check the config and every row of the sheet (reads only; nothing is written anywhere).")
    .option("-c, --config <file>", "config file", DEFAULT_CONFIG_FILE)
    .option("--offline", "check the rows on their own, without asking TokPortal")
    .option("--json", "print the result as one JSON document on stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: ValidateFlags) => {
      const { runValidateCommand } = await import("./validate-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runValidateCommand(flags, processIO());
    });
}
