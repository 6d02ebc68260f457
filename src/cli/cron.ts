/**
 * `tokportal-sync cron`: the service. The command's definition; the work is in cron-run.ts, loaded when
 * the command runs so `--help` and other commands stay fast.
 */
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { CronFlags } from "./cron-run.ts";

function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535)
    throw new InvalidArgumentError("expected a port number from 0 to 65535 (0 = any free port).");
  return n;
}

const EXAMPLES = `
Examples:
  $ tokportal-sync cron                              # on the config's "schedule", in its "timezone"
  $ tokportal-sync cron --schedule "*/15 * * * *"    # every 15 minutes
  $ tokportal-sync cron --health-port 8080           # GET http://127.0.0.1:8080/healthz, /last-run, /runs
  $ tokportal-sync cron -c service.json              # every campaign a service config lists
  $ tokportal-sync cron --config-dir campaigns/      # one campaign per *.json in the folder

Each tick runs one sync (with analytics) under the sheet's run lock: a tick that comes while a run is
going, or while a manual \`sync\` holds the sheet, is skipped and logged. The service spends credits only
within "max_credits"; without it, charged work waits and is logged. Logs are JSON lines on stdout, one
summary line per run (a run's own failures are logged, they do not stop the service), and each run is
recorded in the run history (\`tokportal-sync history\`). With several campaigns, each keeps its own
schedule; campaigns on one TokPortal key share its rate limit. A campaign whose config is bad is reported
(stderr, the log, /healthz) and the others start, unless --strict.

Exit codes of the service:
  0  stopped by SIGINT/SIGTERM: no new work started, calls in flight and the write-back finished
  1  a second SIGINT/SIGTERM while stopping: exited without waiting
  2  usage or config error at start (no schedule, bad schedule or config, health port unavailable;
     with several campaigns: no campaign can run, or any is bad under --strict)`;

export function cronCommand(): Command {
  return new Command("cron")
    .description(
      "Run as a service: a sync on a cron schedule, with JSON logs and an optional health endpoint.",
    )
    .option(
      "-c, --config <file>",
      "config file: one campaign, or a service config listing campaigns",
      DEFAULT_CONFIG_FILE,
    )
    .option("--config-dir <dir>", "run every campaign file (*.json) in this folder")
    .option(
      "--state-dir <dir>",
      "where the run history is kept (default: .tokportal-sync/ next to the config)",
    )
    .option("--strict", "refuse to start when any campaign's config is bad")
    .option(
      "--schedule <expr>",
      'cron expression (5 fields, or 6 with seconds first), e.g. "*/15 * * * *"; overrides "schedule"',
    )
    .option("--health-port <port>", "serve GET /healthz, /last-run and /runs on this port", portArg)
    .option("--health-host <host>", "interface of the health server", "127.0.0.1")
    .option("--no-status-page", "serve only the health endpoints, not the status pages (/, /campaigns/NAME)")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: CronFlags) => {
      const { runCronCommand } = await import("./cron-run.ts");
      const code = await runCronCommand(flags, { stderr: process.stderr, env: process.env });
      // Log lines are written synchronously, so nothing is lost; a keep-alive socket or a timer left by
      // a library must not keep a stopped service alive.
      process.exit(code);
    });
}
