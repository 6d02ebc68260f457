/**
 * `tokportal-sync history`: the runs the service (and manual `sync` runs) recorded. The command's
 * definition; the work is in history-run.ts, loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { HistoryFlags } from "./history-run.ts";

const EXAMPLES = `
Examples:
  $ tokportal-sync history                              # the runs of ./tokportal-sync.json's campaign
  $ tokportal-sync history -c service.json --since 7d   # every campaign of a service, the last 7 days
  $ tokportal-sync history --config-dir campaigns/ --campaign acme --json

--since takes a date (2026-05-01, UTC), a date and time (ISO 8601), or a duration back from now (30m,
24h, 7d, 2w). The history is kept in the state folder (.tokportal-sync/ next to the config, or the service
config's "state_dir"), one JSON line per run; reading it needs no key and calls nothing.

Exit codes:
  0  printed (possibly no run)
  2  usage or config error (bad --since, unreadable service config)`;

export function historyCommand(): Command {
  return new Command("history")
    .description("Show the recorded runs: when, which campaign, rows by status, credits, calls, errors.")
    .option(
      "-c, --config <file>",
      "a campaign config, or a service config listing campaigns",
      DEFAULT_CONFIG_FILE,
    )
    .option("--config-dir <dir>", "a folder of campaign files (as `cron --config-dir`)")
    .option("--state-dir <dir>", "the state folder to read (default: as `cron` would use)")
    .option("--campaign <name>", "only this campaign's runs")
    .option("--since <when>", "only runs started since a date or a duration (7d, 24h)")
    .option("--json", "one JSON line per run (the records as stored)")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: HistoryFlags) => {
      const { runHistoryCommand } = await import("./history-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runHistoryCommand(flags, processIO());
    });
}
