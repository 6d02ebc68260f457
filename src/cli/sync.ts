/**
 * `tokportal-sync sync`: the one-shot import. The command's definition; the work is in sync-run.ts,
 * loaded when the command runs so `--help` and other commands stay fast.
 */
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import { EXIT_CODES_HELP } from "./exit-codes.ts";
import type { SyncFlags } from "./sync-run.ts";

function creditsArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number of credits >= 0.");
  return n;
}

const EXAMPLES = `
Examples:
  $ tokportal-sync sync                          # ./tokportal-sync.json; asks before spending credits
  $ tokportal-sync sync -c campaign.json --yes   # no questions (CI, cron)
  $ tokportal-sync sync --max-credits 200        # spend at most 200 credits this run
  $ tokportal-sync sync --json > report.json     # the run report as one JSON document

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
      "spend credits without asking (needed without a terminal, unless max_credits is set)",
    )
    .option(
      "--max-credits <n>",
      "spend at most this many credits in this run (overrides max_credits)",
      creditsArg,
    )
    .option("--prune", "unschedule videos whose rows were removed from the sheet (bundles are never deleted)")
    .option("--json", "print the run report as one JSON document on stdout instead of the summary")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: SyncFlags) => {
      const { runSyncCommand, processIO } = await import("./sync-run.ts");
      process.exitCode = await runSyncCommand(flags, processIO());
    });
}
