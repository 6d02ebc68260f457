/**
 * `tokportal-sync plan`: what a sync would do, without doing it. The command's definition; the work is in
 * plan-run.ts, loaded when the command runs so `--help` stays fast.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import { EXIT_CODES_HELP } from "../exit-codes.ts";
import { creditsArg } from "./args.ts";
import type { PlanFlags } from "./plan-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync plan                          # the plan for ./tokportal-sync.json, as a table
  $ tokportal-sync plan --server-check           # also have TokPortal validate each write (dry run)
  $ tokportal-sync plan --json > plan.json       # the plan as one JSON document
  $ tokportal-sync plan --out plan.json          # save it, review it, then:
  $ tokportal-sync sync --plan plan.json         #   apply exactly that plan

A plan never writes: nothing is created or charged on TokPortal and the sheet is not touched (the dry
runs of --server-check change nothing either). Table symbols: + create, ~ change (slots, settings,
account, videos), → publish, - unschedule (--prune only), ! a row that will not be synced, and why.

The exit code is the one \`sync\` would give for this plan (1 when rows are in error or locked, 4 when
bundles wait for credits), and 1 when --server-check finds a write TokPortal refuses.

${EXIT_CODES_HELP}`;

export function planCommand(): Command {
  return new Command("plan")
    .description(
      "Show what a sync would do (a table of operations, the rows they serve, their credits); writes nothing.",
    )
    .option("-c, --config <file>", "config file", DEFAULT_CONFIG_FILE)
    .option("--json", "print the plan as one JSON document on stdout (the format of --out)")
    .option("--out <file>", "also save the plan to this file, to apply later with `sync --plan <file>`")
    .option(
      "--server-check",
      "send each write to TokPortal as a dry run (X-TokPortal-Dry-Run) and report its answer; nothing changes",
    )
    .option("--max-credits <n>", "plan with this credit budget (overrides max_credits)", creditsArg)
    .option("--prune", "plan to unschedule videos whose rows were removed from the sheet")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: PlanFlags) => {
      const { runPlanCommand } = await import("./plan-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runPlanCommand(flags, processIO());
    });
}
