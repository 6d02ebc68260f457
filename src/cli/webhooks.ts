/**
 * `tokportal-sync webhooks register|status`: TokPortal's webhook subscription the `cron` service receives
 * (docs/service.md, "TokPortal webhooks"). The command's definition; the work is in webhooks-run.ts,
 * loaded when the command runs.
 */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/defaults.ts";
import type { WebhooksFlags } from "./webhooks-run.ts";

const REGISTER_EXAMPLES = `
Examples:
  $ tokportal-sync webhooks register --url https://sync.example.com/webhooks/tokportal
  $ tokportal-sync webhooks register -c service.json --url https://sync.example.com/webhooks/tokportal
  $ tokportal-sync webhooks register --url https://… --events video.in_review,video.finalized

Subscribes the URL to the events that change what the sheet shows (videos posted, sent back or finalized;
accounts delivered, sent back or finalized), once per TokPortal key the campaigns use, and prints the
signing secret once with the variable to put it in (TOKPORTAL_WEBHOOK_SECRET, or the campaign's
"webhook_secret_env"). A URL already subscribed is shown, not subscribed twice. Makes no sync and spends
no credits.

Exit codes:
  0  subscribed, or already subscribed
  2  usage or config error (bad --url, unknown --campaign)
  3  TokPortal refused the API key`;

const STATUS_EXAMPLES = `
Examples:
  $ tokportal-sync webhooks status
  $ tokportal-sync webhooks status -c service.json --json

Per TokPortal key: the campaigns on it, whether the service's secret variable is set, each subscription
(URL, events, enabled) and its last deliveries (event, outcome, HTTP status, time taken). Reads only.`;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function common(cmd: Command): Command {
  return cmd
    .option(
      "-c, --config <file>",
      "a campaign config, or a service config listing campaigns",
      DEFAULT_CONFIG_FILE,
    )
    .option("--config-dir <dir>", "a folder of campaign files (as `cron --config-dir`)")
    .option("--campaign <name>", "only this campaign's key");
}

export function webhooksCommand(): Command {
  const register = common(new Command("register"))
    .description("Subscribe the service's URL to TokPortal's webhooks and print the signing secret once.")
    .requiredOption("--url <url>", "the service's public address of POST /webhooks/tokportal")
    .option(
      "--events <types>",
      "event types to subscribe instead of the sync's (comma-separated, repeatable)",
      collect,
    )
    .addHelpText("after", REGISTER_EXAMPLES)
    .action(async (flags: WebhooksFlags) => {
      const { runWebhooksRegister } = await import("./webhooks-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runWebhooksRegister(flags, processIO());
    });
  const status = common(new Command("status"))
    .description("Show the TokPortal webhook subscriptions and their recent deliveries.")
    .option("--json", "as one JSON document")
    .addHelpText("after", STATUS_EXAMPLES)
    .action(async (flags: WebhooksFlags) => {
      const { runWebhooksStatus } = await import("./webhooks-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runWebhooksStatus(flags, processIO());
    });
  return new Command("webhooks")
    .description("TokPortal's webhooks for the cron service: register the subscription, show its deliveries.")
    .addCommand(register)
    .addCommand(status);
}
