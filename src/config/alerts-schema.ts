/**
 * The alert settings of the config: the channels messages go to (Slack, a webhook, e-mail) and the
 * thresholds of the conditions that depend on a number. Secrets are never written here: each channel names
 * the environment variables that hold them (`url_env`, `secret_env`, `password_env`). docs/service.md,
 * "Alerts", describes what is sent.
 */
import { z } from "zod";
import { expected } from "./expected.ts";

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const envName = (what: string, example: string) =>
  z
    .string({ error: expected(`the name of an environment variable holding ${what}, like "${example}"`) })
    .regex(ENV_NAME_PATTERN, {
      error: expected(`the name of an environment variable holding ${what}, like "${example}"`),
    });

const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const CHANNEL_NAME_EXPECTED = "a channel name: letters, digits and _ . - (at most 64)";
export const channelNameSchema = z
  .string({ error: expected(CHANNEL_NAME_EXPECTED) })
  .regex(CHANNEL_NAME_PATTERN, { error: expected(CHANNEL_NAME_EXPECTED) });

export const slackChannelSchema = z
  .strictObject({
    type: z.literal("slack").describe("A Slack incoming webhook."),
    name: channelNameSchema.optional().describe("The channel's name in the logs (default: its type)."),
    url_env: envName("the Slack webhook URL", "ACME_SLACK_WEBHOOK_URL").describe(
      "The environment variable holding the incoming webhook's URL (a secret: never in this file).",
    ),
  })
  .describe("Posts each alert message to a Slack incoming webhook.");

export const webhookChannelSchema = z
  .strictObject({
    type: z.literal("webhook").describe("A generic webhook: a JSON body POSTed to a URL."),
    name: channelNameSchema.optional().describe("The channel's name in the logs (default: its type)."),
    url_env: envName("the webhook URL", "OPS_ALERT_WEBHOOK_URL").describe(
      "The environment variable holding the URL to POST to.",
    ),
    secret_env: envName("the signing secret", "OPS_ALERT_WEBHOOK_SECRET")
      .optional()
      .describe(
        "The environment variable holding a secret: each POST then carries an HMAC-SHA256 signature of its timestamp and body (docs/service.md, Alerts).",
      ),
  })
  .describe("POSTs each alert message as JSON, signed when a secret is set.");

const PORT_EXPECTED = "a port number from 1 to 65535";
const EMAIL_EXPECTED = "an e-mail address, like ops@example.com";
const email = z.email({ error: expected(EMAIL_EXPECTED) });

export const emailChannelSchema = z
  .strictObject({
    type: z.literal("email").describe("E-mail through an SMTP server."),
    name: channelNameSchema.optional().describe("The channel's name in the logs (default: its type)."),
    host: z
      .string({ error: expected("the SMTP server's host name") })
      .min(1, { error: expected("the SMTP server's host name") })
      .describe("The SMTP server's host name."),
    port: z
      .int({ error: expected(PORT_EXPECTED) })
      .min(1, { error: expected(PORT_EXPECTED) })
      .max(65535, { error: expected(PORT_EXPECTED) })
      .default(587)
      .describe("The SMTP port (default 587)."),
    secure: z
      .boolean({ error: expected("true or false") })
      .default(false)
      .describe("TLS from the start (port 465); false (default) upgrades with STARTTLS when offered."),
    user: z
      .string({ error: expected("the SMTP user name") })
      .min(1, { error: expected("the SMTP user name") })
      .optional()
      .describe("The SMTP user name, when the server wants a login (then `password_env` too)."),
    password_env: envName("the SMTP password", "SMTP_PASSWORD")
      .optional()
      .describe("The environment variable holding the SMTP password."),
    from: email.describe("The sender's address."),
    to: z
      .array(email, { error: expected(`a list of addresses, like ["ops@example.com"]`) })
      .min(1, { error: expected(`at least one address, like ["ops@example.com"]`) })
      .describe("Who receives the alerts."),
  })
  .describe("Sends each alert message as an e-mail through an SMTP server.");

export const channelSchema = z
  .discriminatedUnion("type", [slackChannelSchema, webhookChannelSchema, emailChannelSchema], {
    error: expected('a channel: {"type": "slack" | "webhook" | "email", …}'),
  })
  .describe("Where alert messages go.");

const CHANNEL_ITEM_EXPECTED =
  'a channel name defined in the service\'s "alert_channels", or a channel like {"type": "slack", "url_env": "SLACK_WEBHOOK_URL"}';

const DURATION_PATTERN = /^[1-9][0-9]{0,5}[mhd]$/;
const DURATION_EXPECTED = 'a duration like "90m", "6h" or "2d"';

export const alertsSchema = z
  .strictObject(
    {
      channels: z
        .array(z.union([channelNameSchema, channelSchema], { error: expected(CHANNEL_ITEM_EXPECTED) }), {
          error: expected(CHANNEL_ITEM_EXPECTED),
        })
        .min(1, { error: expected("at least one channel") })
        .describe(
          'Where this campaign\'s alerts go: channels written here ({"type": "slack", "url_env": "…"}), or the names of channels the service config defines in `alert_channels`.',
        ),
      pending_after: z
        .string({ error: expected(DURATION_EXPECTED) })
        .regex(DURATION_PATTERN, { error: expected(DURATION_EXPECTED) })
        .optional()
        .describe(
          'Alert on rows `pending` for longer than this ("90m", "6h", "2d"). Left out: no alert on pending rows.',
        ),
      balance_below: z
        .int({ error: expected("a whole number of credits >= 0") })
        .min(0, { error: expected("a whole number of credits >= 0") })
        .optional()
        .describe("Alert when the TokPortal credit balance is below this many credits."),
      expiring_within_days: z
        .int({ error: expected("a whole number of days from 1 to 365") })
        .min(1, { error: expected("a whole number of days from 1 to 365") })
        .max(365, { error: expected("a whole number of days from 1 to 365") })
        .optional()
        .describe("Alert when credits expire within this many days (TokPortal's `upcoming_expirations`)."),
    },
    { error: expected('an object like {"channels": ["ops-slack"], "balance_below": 200}') },
  )
  .describe(
    "Alerts: a message when something goes wrong (a run fails, rows newly in error or locked, rows pending too long, a low balance, credits about to expire, work waiting for credits) and one when it recovers. docs/service.md, Alerts.",
  );

/** Named channels a service config shares with its campaigns. */
export const alertChannelsSchema = z
  .record(channelNameSchema, channelSchema, {
    error: expected('an object of "name": {"type": "slack" | "webhook" | "email", …}'),
  })
  .describe(
    'Alert channels the campaigns name in their `alerts.channels`: {"ops-slack": {"type": "slack", "url_env": "OPS_SLACK_URL"}}.',
  );

export type AlertsConfig = z.output<typeof alertsSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
