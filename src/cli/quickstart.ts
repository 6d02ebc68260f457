/**
 * `tokportal-sync quickstart` (what `npm start` runs): the whole job on the sandbox, in a working folder.
 * The command's definition; the work is in quickstart-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import type { QuickstartFlags } from "./quickstart-run.ts";

const EXAMPLES = `
Examples:
  $ npm start                                         # the same as: tokportal-sync quickstart
  $ tokportal-sync quickstart --dir /tmp/try-it       # another working folder
  $ rm -rf .sandbox && npm start                      # start again from the example campaign

It copies fixtures/campaign/*.csv to <dir>/campaign/ and writes <dir>/tokportal-sync.json (only when
they are missing: your edits are kept), runs the sandbox TokPortal in-process with its world saved in
<dir>/.sandbox/, prints the plan, applies it, moves the sandbox clock until the videos are posted, and
syncs again so statuses, platform URLs and analytics land in the CSVs. Rerun it after editing a CSV.
TOKPORTAL_BASE_URL and TOKPORTAL_API_KEY are ignored: the quick start never calls TokPortal itself.`;

export function quickstartCommand(): Command {
  return new Command("quickstart")
    .description(
      "Try it on the sandbox: sync the example campaign in a working folder, let the posts go live, show the results.",
    )
    .option("--dir <dir>", "working folder (default: .sandbox at the repository root)")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: QuickstartFlags) => {
      const [{ runQuickstart }, { processIO }] = await Promise.all([
        import("./quickstart-run.ts"),
        import("./io.ts"),
      ]);
      process.exitCode = await runQuickstart(flags, processIO());
    });
}
