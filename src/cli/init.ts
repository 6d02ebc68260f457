/**
 * `tokportal-sync init`: lay out a campaign sheet (Google Sheets tabs, or CSV files) and write a config
 * when there is none. The command's definition; the work is in init-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { InitFlags } from "./init-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync init --spreadsheet 1AbC…xyz      # a new Google Sheet shared with the service account
  $ tokportal-sync init -c campaign.json           # the sheet (or CSV files) of an existing config
  $ tokportal-sync init --csv campaign             # campaign/bundles.csv and campaign/videos.csv
  $ tokportal-sync init -c campaign.json --dry-run # what would be added, sending nothing

On a Google Sheet it adds, in one request, only what is missing: the bundles and videos tabs, every
column of the catalogue (after the last used column; yours are never moved), a note on each header,
dropdowns, checkboxes, date and number checks, output columns shaded and protected (warning only),
rows coloured by sync_status, a frozen header row and ref column. Run it again at any time: when
nothing is missing it sends nothing. A config file is written only when there is none.

Exit codes:
  0  laid out (or nothing was missing)
  2  bad flags or config, or the sheet cannot be read or laid out`;

export function initCommand(): Command {
  return new Command("init")
    .description("Lay out the campaign sheet (Google Sheets or CSV) and write a config when there is none.")
    .option("-c, --config <file>", "config file (read when it exists, else written)", DEFAULT_CONFIG_FILE)
    .option("--spreadsheet <id>", "the Google Sheet to lay out (the long id in its URL)")
    .option("--csv <dir>", "write bundles.csv and videos.csv into this folder")
    .option("--bundles-tab <name>", "with --spreadsheet: the bundles tab", "bundles")
    .option("--videos-tab <name>", "with --spreadsheet: the videos tab", "videos")
    .option("--single-table", "one videos tab (or file) that also carries the bundle columns")
    .option("--ref-prefix <prefix>", "ref_prefix of a config written by init", "campaign-")
    .option("--dry-run", "read and say what would be added; change nothing")
    .option("--json", "print the result as one JSON document on stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: InitFlags) => {
      const { runInitCommand } = await import("./init-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runInitCommand(flags, processIO());
    });
}
