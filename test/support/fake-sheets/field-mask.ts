/**
 * Google's partial-response `fields` masks, e.g. `spreadsheetId,sheets.properties(sheetId,title)` or
 * `sheets/properties/gridProperties`. `*` selects everything at its level.
 */

type Mask = Map<string, Mask | true>;

class MaskParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): Mask {
    const mask = this.list();
    if (this.i !== this.text.length) throw new Error(`Invalid field selection ${this.text}`);
    return mask;
  }

  private list(): Mask {
    const mask: Mask = new Map();
    for (;;) {
      this.path(mask);
      if (this.text[this.i] !== ",") return mask;
      this.i++;
    }
  }

  private name(): string {
    const m = /^[A-Za-z0-9_*]+/.exec(this.text.slice(this.i));
    if (!m) throw new Error(`Invalid field selection ${this.text}`);
    this.i += m[0].length;
    return m[0];
  }

  private path(into: Mask): void {
    const key = this.name();
    const ch = this.text[this.i];
    if (ch === "." || ch === "/") {
      this.i++;
      const child = into.get(key);
      const sub: Mask = child instanceof Map ? child : new Map();
      if (child !== true) into.set(key, sub);
      this.path(sub);
      return;
    }
    if (ch === "(") {
      this.i++;
      const sub = this.list();
      if (this.text[this.i] !== ")") throw new Error(`Invalid field selection ${this.text}`);
      this.i++;
      const child = into.get(key);
      if (child === true) return;
      if (child instanceof Map) for (const [k, v] of sub) child.set(k, v);
      else into.set(key, sub);
      return;
    }
    into.set(key, true);
  }
}

export function parseFieldMask(text: string): Mask {
  return new MaskParser(text.replaceAll(" ", "")).parse();
}

function apply(value: unknown, mask: Mask | true): unknown {
  if (mask === true || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => apply(v, mask));
  const all = mask.get("*");
  if (all === true) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = apply(v, sub);
  }
  return out;
}

/** Keeps only the fields the mask names. An absent or empty mask keeps everything. */
export function selectFields<T>(value: T, fields: string | undefined): unknown {
  if (fields === undefined || fields === "") return value;
  return apply(value, parseFieldMask(fields));
}
