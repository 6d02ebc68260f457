/**
 * An answer's shape, for a report a user attaches to a bug report: every value becomes its type, so the
 * report shows what TokPortal sent without a username, an e-mail, a name, an id or a URL of the account.
 * Keys are kept (they are TokPortal's vocabulary), except a key that looks like data (an id, an address).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;
/** A key that is TokPortal's vocabulary: lower-case words (`credits_remaining`, `X-RateLimit-Limit`). */
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,40}$/;

const MAX_DEPTH = 6;

/** The type of a string, with its format when it has a well-known one (never the value). */
function stringType(s: string): string {
  if (UUID.test(s)) return "string(uuid)";
  if (DATE.test(s)) return "string(date)";
  if (DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))) return "string(date-time)";
  if (URL_LIKE.test(s)) return "string(url)";
  if (EMAIL.test(s)) return "string(email)";
  if (s === "") return "string(empty)";
  return "string";
}

export function shapeOf(value: unknown, depth = 0): unknown {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return stringType(value);
  if (typeof value !== "object") return typeof value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? "list" : "object";
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0], depth + 1)];
  const out: Record<string, unknown> = {};
  let hidden = 0;
  for (const [key, v] of Object.entries(value)) {
    if (PLAIN_KEY.test(key) && !UUID.test(key)) out[key] = shapeOf(v, depth + 1);
    else hidden += 1;
  }
  if (hidden > 0) out["(other keys)"] = hidden;
  return out;
}

/** A CSV header's column names, as TokPortal spells them; a name that does not look like one is hidden. */
export function columnsShape(columns: readonly string[]): string[] {
  return columns.map((c) => {
    const name = c.trim();
    return /^[A-Za-z][A-Za-z0-9 _().%-]{0,40}$/.test(name) && !EMAIL.test(name) ? name : "(column)";
  });
}
