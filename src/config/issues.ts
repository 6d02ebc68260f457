/**
 * Zod's issues turned into config error lines: `<field path>: <what is expected>, got <value>`.
 * Unknown keys name the keys the object accepts (and the close one, for a typo); a value that looks like an
 * API key is refused wherever it is, without being shown.
 */
import { z } from "zod";
import { describeValue, formatPath, looksLikeApiKey } from "./describe.ts";
import { columnsSchema, configSchema } from "./schema.ts";

type Path = readonly PropertyKey[];

const SECRET_KEY_NAME = /^(?:x[-_]?)?(?:api[-_]?key|apikey|token|secret|key|tokportal[-_]?api[-_]?key)$/i;
const KEY_ADVICE = "set TOKPORTAL_API_KEY in the environment instead, and remove it from this file";

/** Problems with secrets in the file: a key-looking value, or a field meant to hold the key. */
export function secretProblems(raw: unknown, path: PropertyKey[] = []): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  if (typeof raw === "string" && looksLikeApiKey(raw)) {
    out.push({
      path,
      message: `looks like an API key; the key is never read from the config file: ${KEY_ADVICE}`,
    });
  } else if (Array.isArray(raw)) {
    raw.forEach((v, i) => {
      out.push(...secretProblems(v, [...path, i]));
    });
  } else if (raw !== null && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) {
      const inner = secretProblems(v, [...path, k]);
      if (SECRET_KEY_NAME.test(k) && inner.length === 0 && path[0] !== "columns") {
        out.push({
          path: [...path, k],
          message: `the API key is never read from the config file: ${KEY_ADVICE}`,
        });
      } else out.push(...inner);
    }
  }
  return out;
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

/** The object schema found at `path` for this input (following unions by what the input holds). */
function objectKeysAt(path: Path, raw: unknown): string[] | null {
  let schema: z.ZodType = configSchema;
  let here: unknown = raw;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    for (let n = 0; n < 10; n++) {
      const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
      if (def.innerType && ["optional", "default", "prefault", "nullable"].includes(def.type))
        cur = def.innerType;
      else break;
    }
    return cur;
  };
  const pick = (s: z.ZodType, value: unknown): z.ZodType => {
    const u = unwrap(s);
    if (u instanceof z.ZodDiscriminatedUnion || u instanceof z.ZodUnion) {
      const options = u.options as z.ZodType[];
      const fits = options.find((o) => {
        const shape = unwrap(o) instanceof z.ZodObject ? (unwrap(o) as z.ZodObject).shape : null;
        const type = (value as { type?: unknown } | null)?.type;
        if (!shape) return false;
        const lit = shape.type as z.ZodType | undefined;
        return lit === undefined ? true : lit.safeParse(type).success;
      });
      return fits ? unwrap(fits) : u;
    }
    return u;
  };
  for (const seg of path) {
    const s = pick(schema, here);
    if (!(s instanceof z.ZodObject)) return null;
    const next = (s.shape as Record<string, z.ZodType>)[seg as string];
    if (!next) return null;
    schema = next;
    here = valueAt(here, [seg]);
  }
  const s = pick(schema, here);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function unknownKey(key: string, known: string[] | null): string {
  if (!known) return "unknown key";
  const norm = (s: string) => s.toLowerCase().replace(/[-\s]/g, "_");
  const close =
    known.find((k) => norm(k) === norm(key) || distance(norm(k), norm(key)) <= 2) ??
    known.find((k) => norm(k).startsWith(norm(key)) || norm(key).startsWith(norm(k)));
  const hint = close ? `; did you mean "${close}"?` : "";
  return `unknown key${hint} (expected one of: ${known.join(", ")})`;
}

/** `columns` is a union of two map shapes: report the errors of the shape the input was meant to be. */
function columnsIssues(raw: unknown): z.core.$ZodIssue[] | null {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const perTable =
    Object.keys(raw).length > 0 &&
    Object.keys(raw).every((k) => k === "bundles" || k === "videos") &&
    Object.values(raw).some((v) => typeof v !== "string");
  const options = columnsSchema.options;
  const branch = perTable ? options[0] : options[1];
  const res = branch.safeParse(raw);
  if (res.success) return [];
  return res.error.issues.map((i) => ({ ...i, path: ["columns", ...i.path] }));
}

/** One line per problem, in the order of the file, without duplicates. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const secrets = secretProblems(raw);
  const secretPaths = new Set(secrets.map((s) => formatPath(s.path)));
  const lines: string[] = secrets.map((s) => `${formatPath(s.path)}: ${s.message}`);
  let columnsDone = false;
  for (const issue of issues) {
    if (issue.path[0] === "columns") {
      if (columnsDone) continue;
      columnsDone = true;
      const rawColumns = valueAt(raw, ["columns"]);
      const own = columnsIssues(rawColumns);
      for (const i of own && own.length > 0 ? own : [issue]) lines.push(...issueLines(i, raw, secretPaths));
      continue;
    }
    lines.push(...issueLines(issue, raw, secretPaths));
  }
  return [...new Set(lines)];
}

function issueLines(issue: z.core.$ZodIssue, raw: unknown, secretPaths: Set<string>): string[] {
  const path = issue.path;
  if (secretPaths.has(formatPath(path))) return [];
  if (issue.code === "unrecognized_keys") {
    const known = objectKeysAt(path, raw);
    return issue.keys
      .filter((k) => !secretPaths.has(formatPath([...path, k])))
      .map((k) => `${formatPath([...path, k])}: ${unknownKey(k, known)}`);
  }
  if (issue.code === "invalid_union" && "discriminator" in issue && issue.discriminator) {
    const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => JSON.stringify(o));
    const value = valueAt(raw, path);
    const got = value === undefined ? "missing; expected" : "expected";
    const tail = value === undefined ? "" : `, got ${describeValue(value)}`;
    return [`${formatPath(path)}: ${got} one of ${options.join(", ")}${tail}`];
  }
  return [`${formatPath(path)}: ${issue.message}`];
}
