/**
 * How a config value is shown in an error: short, on one line, and never a secret (a config file is where
 * a key pasted by mistake would be, and error lines end up in CI logs).
 */

/** TokPortal keys (`sk_` + hex) and older `tok_live_` keys. */
export const KEY_LIKE = /\b(?:sk|tok_live)_[A-Za-z0-9]{16,}/;

export function looksLikeApiKey(value: string): boolean {
  return KEY_LIKE.test(value);
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  switch (typeof value) {
    case "string": {
      if (looksLikeApiKey(value)) return "a value that looks like an API key";
      if (value === "") return "an empty string";
      const text = value.length > 40 ? `${value.slice(0, 37)}...` : value;
      return JSON.stringify(text);
    }
    case "number":
    case "boolean":
      return String(value);
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** `source.videos`, `columns["Account name"]`, `items[2]`: the path as a reader would write it in JS. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || "(top level)";
}
