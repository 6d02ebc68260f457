/**
 * `tokportal-sync doctor`: checks, at no cost, that TokPortal answers the way the sync relies on. The
 * command's definition; the work is in doctor-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { DoctorFlags } from "./doctor-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync doctor                        # your account (TOKPORTAL_API_KEY), before the first plan
  $ tokportal-sync doctor --sandbox              # the local sandbox instead
  $ tokportal-sync doctor --json                 # the report as one JSON document
  $ tokportal-sync doctor --save report.json     # a report to attach to a bug report

It reads (/me, balance, credit costs, countries, one page of bundles, one bundle's videos and account,
the analytics export's header) and sends every kind of write the sync makes with the dry-run header
(X-TokPortal-Dry-Run: true), never without it: nothing is created, changed or charged. Writes the
dry-run header does not cover (the presigned upload's PUT) or that destroy (unschedule) are listed as
not checked. Without a config file it uses TOKPORTAL_BASE_URL and TOKPORTAL_API_KEY.
With a Google Sheet in the config it first says which Google credentials are used and as whom, and reads
the sheet's title and tabs once (nothing written); when that fails, the fix (whom to share it with, login).

Exit codes:
  0  everything the sync needs is there
  1  the sync would do less than usual (the table says what, and what it does instead), or cannot
     use the Google Sheet (the table says the fix)
  2  usage or config error (TOKPORTAL_API_KEY missing, bad config)
  3  TokPortal refused the API key`;

export function doctorCommand(): Command {
  return new Command("doctor")
    .description(
      "Check, at no cost, the Google sign-in and that TokPortal answers the way the sync expects (reads and dry runs).",
    )
    .option("-c, --config <file>", "config file (optional for doctor)", DEFAULT_CONFIG_FILE)
    .option("--sandbox", "check the local sandbox instead of the configured TokPortal")
    .option("--json", "print the report as one JSON document on stdout")
    .option("--save <file>", "also save the report (no key, no account data) to attach to a bug report")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: DoctorFlags) => {
      const { runDoctorCommand } = await import("./doctor-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runDoctorCommand(flags, processIO());
    });
}
