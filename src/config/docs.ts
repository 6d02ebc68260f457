/**
 * `docs/config.md`: the config reference, written from the same JSON Schema editors use, so the docs, the
 * schema and the loader never disagree (`npm run gen:config-schema` writes both; a test compares them).
 */
import { configJsonSchema } from "./json-schema.ts";

export const CONFIG_DOC_FILE = "docs/config.md";

interface Node {
  description?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
  properties?: Record<string, Node>;
  required?: string[];
  anyOf?: Node[];
  oneOf?: Node[];
  additionalProperties?: Node | boolean;
}

/** The type column: what a user may write there. */
function typeOf(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${cell(JSON.stringify(v))}\``).join(" \\| ");
  const alts = n.anyOf ?? n.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(" \\| ");
  const t = Array.isArray(n.type) ? n.type.join(" \\| ") : (n.type ?? "any");
  if (t === "integer") {
    const range =
      n.minimum !== undefined && n.maximum !== undefined && n.maximum < Number.MAX_SAFE_INTEGER
        ? ` ${n.minimum}–${n.maximum}`
        : n.minimum !== undefined
          ? ` ≥ ${n.minimum}`
          : "";
    return `integer${range}`;
  }
  if (t === "string" && n.format === "uri") return "URL";
  if (t === "object" && !n.properties && typeof n.additionalProperties === "object") return "map";
  return t;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function rows(n: Node, at: string, out: string[]): void {
  const props = n.properties ?? {};
  for (const [key, sub] of Object.entries(props)) {
    const path = at ? `${at}.${key}` : key;
    const required = n.required?.includes(key) ? "yes" : "";
    const def = sub.default === undefined ? "" : `\`${JSON.stringify(sub.default)}\``;
    out.push(`| \`${path}\` | ${typeOf(sub)} | ${required} | ${def} | ${cell(sub.description ?? "")} |`);
    if (sub.properties) rows(sub, path, out);
    // A source is one of several shapes: each shape's fields, under its `type`.
    for (const alt of sub.oneOf ?? sub.anyOf ?? []) {
      if (!alt.properties) continue;
      const kind = alt.properties["type"]?.const;
      rows(alt, kind === undefined ? path : `${path} (${String(kind)})`, out);
    }
  }
}

const INTRO = `# The config file

\`tokportal-sync.json\` in the current directory by default (\`-c FILE\` for another). JSON, checked when a
command starts: a bad field stops the command with exit code 2 and one line per problem naming the field
and what is expected, e.g. \`tokportal-sync.json: source.videos: expected a file path (string), got 3\`.
Put \`"$schema": "./config.schema.json"\` at the top and editors complete and check the file as you type.
Relative paths (CSV files, the service-account key, local media in cells) are relative to the config file's
directory.

**The API key is never in this file**: it comes from \`TOKPORTAL_API_KEY\` (a key-looking value in the file
is refused). Environment:

| variable | |
|---|---|
| \`TOKPORTAL_API_KEY\` | the TokPortal key, \`sk_\` + 64 hex; not needed with \`"base_url": "sandbox"\` |
| \`TOKPORTAL_BASE_URL\` | overrides \`tokportal.base_url\` |
| \`GOOGLE_APPLICATION_CREDENTIALS\` | the service-account JSON key, when \`source.credentials\` is not set |

## A CSV campaign

\`\`\`json
{
  "$schema": "./config.schema.json",
  "tokportal": { "base_url": "https://app.tokportal.com/api/ext" },
  "source": { "type": "csv", "bundles": "campaign/bundles.csv", "videos": "campaign/videos.csv" },
  "ref_prefix": "acme-spring-",
  "defaults": { "platform": "tiktok", "bundle_type": "account_and_videos", "publish": false },
  "max_credits": 500
}
\`\`\`

## A Google Sheets campaign, run by the service

\`\`\`json
{
  "$schema": "./config.schema.json",
  "source": {
    "type": "google_sheets",
    "spreadsheet_id": "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "bundles_tab": "bundles",
    "videos_tab": "videos",
    "credentials": "service-account.json"
  },
  "ref_prefix": "acme-spring-",
  "columns": { "Account name": "visible_name" },
  "max_credits": 200,
  "schedule": "*/15 * * * *",
  "timezone": "Europe/Paris"
}
\`\`\`

Setting up the service account: [google-sheets.md](google-sheets.md). Running the service: [service.md](service.md).

## Every field

Generated from \`src/config/schema.ts\` (\`npm run gen:config-schema\`), like \`config.schema.json\`.

| field | type | required | default | meaning |
|---|---|---|---|---|
`;

export function configDocText(): string {
  const out: string[] = [];
  rows(configJsonSchema() as Node, "", out);
  return `${INTRO}${out.join("\n")}\n`;
}
