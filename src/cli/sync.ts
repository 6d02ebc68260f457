/**
 * `tokportal-sync sync`: the one-shot import. The command's definition; the work is in sync-run.ts,
 * loaded when the command runs so `--help` and other commands stay fast.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import { EXIT_CODES_HELP } from "../exit-codes.ts";
import { creditsArg } from "./args.ts";
import type { SyncFlags } from "./sync-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync sync                          # ./tokportal-sync.json; asks before spending credits
  $ tokportal-sync sync -c campaign.json --yes   # no questions (CI, cron)
  $ tokportal-sync sync --max-credits 200        # spend at most 200 credits this run
  $ tokportal-sync sync --json > report.json     # the run report as one JSON document
  $ tokportal-sync sync --analytics-only         # a frozen sheet: refresh views, likes, … only
  $ tokportal-sync plan --out plan.json && tokportal-sync sync --plan plan.json
                                                 # review first, then apply exactly what was reviewed

In a terminal, a sync that costs credits shows the plan and asks first (a budget is a ceiling, not a yes:
only --yes skips the question), and shows a progress bar on stderr while it applies; without a terminal
it spends only with --yes or a budget (max_credits). A saved plan (--plan) was
reviewed when it was made: it is applied without asking, with the budget and --prune it was made with.

The API key is read from TOKPORTAL_API_KEY (never from the config); TOKPORTAL_BASE_URL overrides
tokportal.base_url. With "base_url": "sandbox" the TokPortal emulator runs in-process (no key needed).

${EXIT_CODES_HELP}`;

export function syncCommand(): Command {
  return new Command("sync")
    .description(
      "Bring TokPortal in step with the sheet: plan, confirm the spend, apply, and write each row's result back.",
    )
    .option("-c, --config <file>", "config file", DEFAULT_CONFIG_FILE)
    .option(
      "-y, --yes",
      "spend credits without asking (in a terminal, even with a budget; without one, needed unless max_credits is set)",
    )
    .option(
      "--max-credits <n>",
      "spend at most this many credits in this run (overrides max_credits)",
      creditsArg,
    )
    .option("--prune", "unschedule videos whose rows were removed from the sheet (bundles are never deleted)")
    .option(
      "--plan <file>",
      "apply exactly this plan (saved by `plan --out`), refused if the sheet or TokPortal changed since",
    )
    .option(
      "--analytics-only",
      "only refresh the analytics columns (views, likes, …) of rows already synced: no planning, no writes to TokPortal",
    )
    .option("--json", "print the run report as one JSON document on stdout instead of the summary")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: SyncFlags) => {
      const { runSyncCommand, processIO } = await import("./sync-run.ts");
      // Ctrl+C (or SIGTERM) once: no new step starts, the calls in flight and the write-back finish, so
      // nothing done on TokPortal goes unrecorded. Twice: quit at once.
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
        process.stderr.write(
          "\nStopping: the calls in flight and the write-back finish first (Ctrl+C again quits at once; rows not started stay pending for the next run).\n",
        );
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        process.exitCode = await runSyncCommand(flags, processIO(), { signal: stop.signal });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
