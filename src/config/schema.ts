/**
 * The config file (`tokportal-sync.json`) as a zod schema: the one definition behind validation, the
 * resolved defaults, the TypeScript type and the published JSON Schema (`config.schema.json`).
 *
 * Every field says what it expects in words (`expected(...)`), so an error reads
 * `source.videos: expected a file path (string), got 3` rather than zod's generic text, and every field
 * has a description, so editors that read the JSON Schema can complete and explain it.
 */
import { Cron } from "croner";
import { z } from "zod";
import { PRODUCTION_BASE_URL } from "../api/client.ts";
import { DEFAULT_MAX_WAIT_MS } from "../api/retry.ts";
import { DATE_FORMATS, type DateFormat } from "../sources/cell-parsers.ts";
import { alertsSchema } from "./alerts-schema.ts";
import { expected } from "./expected.ts";

export { expected };

const quoted = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(", ");

const REF_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]*$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password && !url.search
    );
  } catch {
    return false;
  }
}

function isCronPattern(value: string): boolean {
  try {
    new Cron(value, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const filePath = (description: string) =>
  z
    .string({ error: expected("a file path (string)") })
    .min(1, { error: expected("a file path (string)") })
    .describe(description);

const dateFormat = z
  .enum(DATE_FORMATS as [DateFormat, ...DateFormat[]], { error: expected(`one of ${quoted(DATE_FORMATS)}`) })
  .describe(
    `How dates are written in the sheet's date cells (target_publish_date): ${quoted(DATE_FORMATS)}. Default "YYYY-MM-DD".`,
  );

/** The environment variable a campaign's key is read from unless `tokportal.api_key_env` names another. */
export const DEFAULT_API_KEY_ENV = "TOKPORTAL_API_KEY";
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** The environment variable a campaign's webhook signing secret is read from unless the config names another. */
export const DEFAULT_WEBHOOK_SECRET_ENV = "TOKPORTAL_WEBHOOK_SECRET";
const WEBHOOK_SECRET_ENV_EXPECTED =
  'the name of an environment variable, like "ACME_TOKPORTAL_WEBHOOK_SECRET"';
const API_KEY_ENV_EXPECTED = 'the name of an environment variable, like "ACME_TOKPORTAL_API_KEY"';

const BASE_URL_EXPECTED = `"sandbox" or an http(s) URL without credentials or query, like "${PRODUCTION_BASE_URL}"`;

export const tokportalSchema = z
  .strictObject(
    {
      base_url: z
        .union(
          [
            z.literal("sandbox"),
            z
              .url({ protocol: /^https?$/, error: expected(BASE_URL_EXPECTED) })
              .refine(isHttpUrl, { error: expected(BASE_URL_EXPECTED) }),
          ],
          { error: expected(BASE_URL_EXPECTED) },
        )
        .default(PRODUCTION_BASE_URL)
        .describe(
          `TokPortal API base URL (default ${PRODUCTION_BASE_URL}), or "sandbox" to run against a local emulator started in-process (simulated credits; its data kept in .sandbox/ next to this file). The TOKPORTAL_BASE_URL environment variable overrides it.`,
        ),
      concurrency: z
        .int({ error: expected("a whole number from 1 to 32") })
        .min(1, { error: expected("a whole number from 1 to 32") })
        .max(32, { error: expected("a whole number from 1 to 32") })
        .optional()
        .describe("TokPortal calls in flight at once (1 to 32; default 16). The rate limit still applies."),
      max_wait_seconds: z
        .int({ error: expected("a whole number of seconds from 0 to 3600") })
        .min(0, { error: expected("a whole number of seconds from 0 to 3600") })
        .max(3600, { error: expected("a whole number of seconds from 0 to 3600") })
        .optional()
        .describe(
          `The longest a call waits when TokPortal asks it to (a 429's Retry-After, the workspace's create/publish cooldown), in seconds (0 to 3600; default ${DEFAULT_MAX_WAIT_MS / 1000}). A longer wait is not waited out: the rows concerned are left pending, saying what TokPortal asked and when to expect progress, and a later run picks them up. The \`cron\` service also never waits past its next tick.`,
        ),
      // The service's fields (several campaigns, several keys): see docs/service.md.
      api_key_env: z
        .string({ error: expected(API_KEY_ENV_EXPECTED) })
        .regex(ENV_NAME_PATTERN, { error: expected(API_KEY_ENV_EXPECTED) })
        .optional()
        .describe(
          `The name of the environment variable holding this campaign's TokPortal API key (default "${DEFAULT_API_KEY_ENV}"). Campaigns of different TokPortal workspaces name different variables; the key itself never goes in this file.`,
        ),
      webhook_secret_env: z
        .string({ error: expected(WEBHOOK_SECRET_ENV_EXPECTED) })
        .regex(ENV_NAME_PATTERN, { error: expected(WEBHOOK_SECRET_ENV_EXPECTED) })
        .optional()
        .describe(
          `The name of the environment variable holding the signing secret of this campaign's TokPortal webhook subscription (default "${DEFAULT_WEBHOOK_SECRET_ENV}"; \`tokportal-sync webhooks register\` prints it). When it is set, \`cron\` receives TokPortal's webhooks on its port and refreshes the campaign in minutes. Campaigns on different TokPortal keys have different subscriptions: name different variables.`,
        ),
    },
    { error: expected('an object like {"base_url": "sandbox"}') },
  )
  .describe(
    "Where TokPortal is. The API key is never here: it is read from TOKPORTAL_API_KEY (or the variable `api_key_env` names).",
  );

const csvOutputSchema = z
  .strictObject(
    {
      bundles: filePath(
        "Write the bundles table's results to this file instead of the input file.",
      ).optional(),
      videos: filePath("Write the videos table's results to this file instead of the input file.").optional(),
    },
    { error: expected('an object like {"bundles": "out/bundles.csv", "videos": "out/videos.csv"}') },
  )
  .describe(
    "Write results (ids, statuses, sync_status…) to these files, leaving the input files untouched. Paths are relative to this config file.",
  );

const runLogSchema = z
  .union(
    [
      z.boolean({ error: expected('true, false or {"max_rows": N}') }),
      z.strictObject({
        max_rows: z
          .int({ error: expected("a whole number of rows from 10 to 100000") })
          .min(10, { error: expected("a whole number of rows from 10 to 100000") })
          .max(100_000, { error: expected("a whole number of rows from 10 to 100000") })
          .describe("Most rows kept; the oldest are dropped past it (default 1000)."),
      }),
    ],
    { error: expected('true, false or {"max_rows": N}') },
  )
  .optional()
  .describe(
    'Keep a run log: one row per run that changed something or failed (tab `sync_runs`, or `sync-runs.csv` beside the videos file); runs that change nothing are counted on the last row. true, or {"max_rows": N} to cap it (default 1000).',
  );

const analyticsHistorySchema = z
  .boolean({ error: expected("true or false") })
  .optional()
  .describe(
    "Keep analytics over time: one row per video per day and per account per day with followers (tab `analytics_history`, or `analytics-history.csv` beside the videos file).",
  );

const DELIMITERS = [",", ";", "|", "tab", "\t"] as const;

export const csvSourceSchema = z
  .strictObject({
    type: z.literal("csv").describe("CSV files on disk."),
    bundles: filePath(
      "The bundles CSV (one row per bundle), relative to this config file. Leave it out when the videos file carries the bundle columns (single table).",
    ).optional(),
    videos: filePath("The videos CSV (one row per video), relative to this config file."),
    delimiter: z
      .enum(DELIMITERS, { error: expected(`one of ${quoted(DELIMITERS.slice(0, 4))}`) })
      .optional()
      .describe('Field separator: ",", ";", "|" or "tab". Default: detected per file.'),
    date_format: dateFormat.optional(),
    output: csvOutputSchema.optional(),
    run_log: runLogSchema,
    analytics_history: analyticsHistorySchema,
  })
  .describe("Campaign in CSV files; results are written back into them (or into `output`).");

export const googleSheetsSourceSchema = z
  .strictObject({
    type: z.literal("google_sheets").describe("A Google Sheets spreadsheet."),
    spreadsheet_id: z
      .string({ error: expected("the spreadsheet id (string)") })
      .regex(/^[A-Za-z0-9_-]{10,}$/, {
        error: expected("the spreadsheet id, the part of its URL between /d/ and /edit"),
      })
      .describe("The spreadsheet id: the part of its URL between /d/ and /edit."),
    bundles_tab: z
      .string({ error: expected("a tab name (string)") })
      .min(1, { error: expected("a tab name (string)") })
      .optional()
      .describe("The tab holding bundles. Leave it out when the videos tab carries the bundle columns."),
    videos_tab: z
      .string({ error: expected("a tab name (string)") })
      .min(1, { error: expected("a tab name (string)") })
      .describe("The tab holding videos."),
    credentials: filePath(
      "A Google credentials file of any type (service-account key, `gcloud auth application-default login` file, workload identity federation config, impersonated service account), relative to this config file. Default: GOOGLE_APPLICATION_CREDENTIALS, then `tokportal-sync login`, then gcloud's application-default credentials, then the metadata server (docs/google-sheets.md). Share the sheet with the e-mail the messages name.",
    ).optional(),
    impersonate: z
      .email({ error: expected("a service account e-mail, like sync@my-project.iam.gserviceaccount.com") })
      .optional()
      .describe(
        "A service account e-mail: the credentials found mint short-lived tokens for it, so no key is needed (they need the Service Account Token Creator role on it). Share the sheet with this e-mail.",
      ),
    date_format: dateFormat.optional(),
    run_log: runLogSchema,
    analytics_history: analyticsHistorySchema,
  })
  .describe(
    "Campaign in a Google Sheets spreadsheet, read and written with Google credentials (docs/google-sheets.md).",
  );

const SOURCE_TYPES = ["csv", "google_sheets"] as const;

export const sourceSchema = z
  .discriminatedUnion("type", [csvSourceSchema, googleSheetsSourceSchema], {
    error: expected(`an object with "type": ${quoted(SOURCE_TYPES)}`),
  })
  .describe("Where the campaign sheet is.");

const aliasMap = z
  .record(
    z.string(),
    z
      .string({ error: expected('a column name (string), like "visible_name"') })
      .min(1, { error: expected('a column name (string), like "visible_name"') }),
    { error: expected('an object of "Header in the sheet": "column_name"') },
  )
  .describe('Header as written in the sheet → canonical column name, e.g. {"Account name": "visible_name"}.');

const COLUMNS_EXPECTED =
  'header aliases: {"Header in the sheet": "column_name"}, or per table {"bundles": {...}, "videos": {...}}';

export const columnsSchema = z
  .union(
    [
      z
        .strictObject({ bundles: aliasMap.optional(), videos: aliasMap.optional() })
        .describe("Aliases per table."),
      aliasMap,
    ],
    { error: expected(COLUMNS_EXPECTED) },
  )
  .describe(
    'Header aliases for sheets whose headers differ from the canonical names: one map for both tables ({"Account name": "visible_name"}), or one per table ({"bundles": {...}, "videos": {...}}).',
  );

const PLATFORMS = ["tiktok", "instagram"] as const;
const BUNDLE_TYPES = ["account_and_videos", "account_only", "videos_only"] as const;

export const defaultsSchema = z
  .strictObject(
    {
      platform: z
        .enum(PLATFORMS, { error: expected(`one of ${quoted(PLATFORMS)}`) })
        .default("tiktok")
        .describe("Platform of a bundle whose `platform` cell is blank."),
      bundle_type: z
        .enum(BUNDLE_TYPES, { error: expected(`one of ${quoted(BUNDLE_TYPES)}`) })
        .default("account_and_videos")
        .describe("Type of a bundle whose `bundle_type` cell is blank."),
      publish: z
        .boolean({ error: expected("true or false") })
        .default(false)
        .describe(
          "Publish bundles once ready, and release videos once configured, when the row's `publish` cell is blank.",
        ),
    },
    { error: expected('an object like {"platform": "tiktok", "publish": true}') },
  )
  .describe("Values used where a row leaves the cell blank.");

const KEY_EXPECTED = "a JSON object";

export const configSchema = z
  .strictObject(
    {
      $schema: z
        .string({ error: expected("a URL or path of the JSON Schema (string)") })
        .optional()
        .describe("The JSON Schema of this file, for editors: ./config.schema.json"),
      tokportal: tokportalSchema.prefault({}),
      source: sourceSchema,
      ref_prefix: z
        .string({ error: expected("a string of letters, digits and _ . : - (at most 100)") })
        .max(100, { error: expected("at most 100 characters") })
        .regex(REF_PREFIX_PATTERN, { error: expected("only letters, digits and _ . : -") })
        .default("")
        .describe(
          'Prepended to each bundle_ref to make the bundle\'s external_ref on TokPortal (e.g. "spring-"). Bundles under other prefixes are never looked at, so one workspace can hold several campaigns. Letters, digits and _ . : - only; at most 100 characters.',
        ),
      columns: columnsSchema.optional(),
      defaults: defaultsSchema.prefault({}),
      max_credits: z
        .int({ error: expected("a whole number of credits >= 0, or null for no budget") })
        .min(0, { error: expected("a whole number of credits >= 0, or null for no budget") })
        .nullable()
        .default(null)
        .describe(
          "Budget: a run never starts a charged operation that would take its spending above this many credits. Rows left out wait for the next run. null (the default) = no budget; a run then asks before spending (or needs --yes).",
        ),
      analytics: z
        .boolean({ error: expected("true or false") })
        .default(true)
        .describe("Write views, likes and other analytics of published videos back into the sheet."),
      schedule: z
        .string({ error: expected('a cron expression like "*/15 * * * *"') })
        .refine(isCronPattern, { error: expected('a cron expression like "*/15 * * * *"') })
        .optional()
        .describe(
          'When the `cron` service runs a sync: a cron expression, e.g. "*/15 * * * *" (every 15 minutes).',
        ),
      timezone: z
        .string({ error: expected('an IANA time zone like "Europe/Paris" or "UTC"') })
        .refine(isTimeZone, { error: expected('an IANA time zone like "Europe/Paris" or "UTC"') })
        .optional()
        .describe('Time zone of `schedule`, an IANA name like "Europe/Paris" (default: the machine\'s).'),
      alerts: alertsSchema.optional(),
    },
    { error: expected(KEY_EXPECTED) },
  )
  .describe("tokportal-sync configuration: keeps TokPortal in step with a campaign spreadsheet.");

/** The config as written (what the JSON Schema describes). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config with its defaults filled in. */
export type Config = z.output<typeof configSchema>;
