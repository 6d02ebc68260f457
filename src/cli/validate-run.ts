/**
 * What `tokportal-sync validate` does: check the config, read the sheet, and check every row, first on
 * its own (types, required cells, duplicates: source read + coerce + buildDesired) and then, when
 * TokPortal can be reached, against it with reads only (lead time from TokPortal's today, the per-day
 * cap, refs that exist twice remotely, bundle refs that exist nowhere: fetchActual + planSync, no apply).
 * Exit 0 when every row is valid, 1 when some are not, 2 for a config or source error.
 */
import { loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import {
  type Finding,
  type FindingCode,
  finding,
  findingText,
  type RowFinding,
  where as rowsWhere,
} from "../findings/index.ts";
import { coerceCampaign } from "../sources/coerce.ts";
import { SourceError } from "../sources/errors.ts";
import { createSource, type Source } from "../sources/index.ts";
import type { SourceProblem } from "../sources/types.ts";
import type { DesiredState, Plan, SyncStatus } from "../sync/types.ts";
import { palette } from "./color.ts";
import { errorText } from "./command.ts";
import { type CommandIO, write } from "./io.ts";
import { authErrorOf, exitCodeForError } from "./outcome.ts";
import { redact } from "./output.ts";
import { numberRanges } from "./plan-table.ts";
import { openRuntime, type Runtime } from "./runtime.ts";

export interface ValidateFlags {
  config: string;
  offline?: boolean;
  json?: boolean;
}

/** One thing wrong with (or to know about) a row. */
export interface ValidationProblem {
  table: "bundles" | "videos";
  /** Row numbers as the user sees them (header = 1); empty for a table-wide problem. */
  rows: number[];
  column?: string;
  /** `error`/`locked` make the row invalid; `pending`/`skipped` are notes (the row waits, or is left out). */
  status: SyncStatus | "warning";
  /** What was found (the codes are listed in docs/sheet-format.md), and its values; absent for a source note. */
  code?: FindingCode;
  params?: Finding["params"];
  message: string;
}

/** The `--json` document of `validate`. */
export interface ValidationResult {
  valid: boolean;
  source: string;
  /** `tokportal`: the rows were also checked against TokPortal (reads only); `offline`: on their own. */
  checked: "tokportal" | "offline";
  /** Why TokPortal was not asked, when `checked` is `offline` without --offline. */
  note?: string;
  rows: { bundles: number; videos: number };
  /** Rows that cannot be synced as written (error or locked). */
  invalidRows: number;
  problems: ValidationProblem[];
}

const INVALID: ReadonlySet<string> = new Set(["error", "locked"]);

function sourceProblem(p: SourceProblem): ValidationProblem {
  return {
    table: p.table,
    rows: p.rowNumber === undefined ? [] : [p.rowNumber],
    ...(p.column ? { column: p.column } : {}),
    status: "warning",
    message: p.message,
  };
}

/**
 * Offline, a bundle_ref with no bundles row cannot be judged: it is fine if TokPortal already has that
 * bundle. Said once per ref, on its videos rows.
 */
function unknownRefNotes(desired: DesiredState): ValidationProblem[] {
  return desired.bundleRefsWithoutRow.map((ref) => {
    const f = finding("bundle_ref_unknown_offline", "bundle_ref", {
      bundleRef: ref,
      externalRef: `${desired.prefix}${ref}`,
    });
    return {
      table: "videos" as const,
      rows: (desired.bundles.get(ref)?.videos ?? []).flatMap((v) => v.row.rowNumbers),
      column: "bundle_ref",
      status: "warning" as const,
      code: f.code,
      params: f.params,
      message: findingText(f),
    };
  });
}

/** Problems of the rows on their own (the desired state's issues). */
function offlineProblems(desired: DesiredState): ValidationProblem[] {
  return desired.issues.map((i) => ({
    table: i.row.table,
    rows: i.row.rowNumbers,
    ...(i.column ? { column: i.column } : {}),
    status: i.status,
    code: i.code,
    params: i.params,
    message: i.message,
  }));
}

/**
 * Problems once TokPortal's side is known: the rows' own issues (with their columns), and every other
 * planned row that will not be synced (lead time, per-day cap, remote duplicates, unknown bundle refs).
 */
function onlineProblems(
  plan: Plan,
  findings: ReadonlyMap<string, RowFinding[]>,
  desired: DesiredState,
): ValidationProblem[] {
  const own = offlineProblems(desired);
  const seen = new Set(desired.issues.map((i) => `${i.row.id}@${i.row.rowNumbers.join(",")}`));
  const more = plan.rows
    .filter((r) => !seen.has(`${r.row.id}@${r.row.rowNumbers.join(",")}`))
    .filter((r) => r.outcome !== "synced" && (r.outcome !== "skipped" || r.message !== ""))
    .map((r) => {
      // The row's message says its first finding (the worst comes first in a row that has several).
      const f = findings.get(r.row.id)?.[0];
      return {
        table: r.row.table,
        rows: r.row.rowNumbers,
        ...(f?.column ? { column: f.column } : {}),
        status: r.outcome,
        ...(f ? { code: f.code, params: f.params } : {}),
        message: r.message,
      };
    });
  return [...own, ...more];
}

function countInvalid(problems: ValidationProblem[]): number {
  const rows = new Set<string>();
  for (const p of problems) if (INVALID.has(p.status)) rows.add(`${p.table}:${p.rows.join(",")}`);
  return rows.size;
}

/** Why TokPortal could not be asked, when that is not an error of the run (no key, unreachable). */
function unreachable(err: unknown): string | null {
  const e = err as { name?: string; kind?: string; message?: string };
  if (e?.name === "TokPortalError" && (e.kind === "network" || e.kind === "timeout")) {
    return `TokPortal could not be reached (${e.message}); the rows were checked on their own only`;
  }
  return null;
}

async function check(
  flags: ValidateFlags,
  io: CommandIO,
  keep: { runtime: Runtime | null; apiKey: string | null },
): Promise<ValidationResult> {
  const loaded = loadConfig(flags.config, io.env, { requireApiKey: false });
  let note: string | undefined;
  let online = !flags.offline;
  if (online && loaded.baseUrl !== "sandbox" && !loaded.apiKey) {
    online = false;
    note = "TOKPORTAL_API_KEY is not set, so the rows were checked on their own only (--offline says so)";
  }
  let source: Source;
  if (online) {
    keep.runtime = await openRuntime(loaded);
    keep.apiKey = keep.runtime.apiKey;
    source = keep.runtime.source;
  } else {
    source = createSource(loaded.source, { baseDir: loaded.baseDir });
  }
  const tables = await source.read();
  const fatal = tables.problems.filter((p) => p.fatal);
  if (fatal.length > 0) throw new SourceError(fatal.map((p) => p.message).join(" "));
  const { buildDesired } = await import("../sync/desired.ts");
  const c = loaded.config;
  const campaign = coerceCampaign(tables, c.source.date_format ? { dateFormat: c.source.date_format } : {});
  const desired = buildDesired(campaign, {
    prefix: c.ref_prefix,
    defaults: c.defaults,
    baseDir: loaded.baseDir,
  });

  let rowProblems = [...offlineProblems(desired), ...unknownRefNotes(desired)];
  if (online && keep.runtime) {
    try {
      const { fetchActual } = await import("../sync/remote.ts");
      const { planWithFindings } = await import("../sync/plan.ts");
      const actual = await fetchActual(keep.runtime.client, desired);
      // Reads only: no prices, no balance (validate is about rows, not credits), never an apply.
      const { plan, findings } = planWithFindings(desired, actual, {
        prune: false,
        costs: {},
        balance: null,
        maxCredits: null,
        now: new Date().toISOString(),
      });
      rowProblems = onlineProblems(plan, findings, desired);
    } catch (err) {
      const why = unreachable(err);
      if (!why || authErrorOf(err)) throw err;
      online = false;
      note = why;
    }
  }
  const problems = [...tables.problems.map(sourceProblem), ...rowProblems].sort(
    (a, b) =>
      a.table.localeCompare(b.table) ||
      (a.rows[0] ?? 0) - (b.rows[0] ?? 0) ||
      a.message.localeCompare(b.message),
  );
  const invalidRows = countInvalid(problems);
  return {
    valid: invalidRows === 0,
    source: source.describe(),
    checked: online ? "tokportal" : "offline",
    ...(note ? { note } : {}),
    rows: { bundles: tables.bundles?.length ?? 0, videos: tables.videos.length },
    invalidRows,
    problems,
  };
}

export function formatValidation(r: ValidationResult, options: { color: boolean }): string {
  const c = palette(options.color);
  const lines: string[] = [c.bold(`Validation of ${r.source}`)];
  const where = (p: ValidationProblem) =>
    p.rows.length > 0 ? `${p.table} row ${numberRanges(p.rows)}` : `${p.table} table`;
  const w = Math.max(0, ...r.problems.map((p) => where(p).length));
  for (const p of r.problems) {
    const bad = INVALID.has(p.status);
    const mark = bad ? c.red("✗") : c.yellow("!");
    const status = (bad ? c.red : c.yellow)(p.status.padEnd(7));
    const column = p.column ? `${c.dim(`[${p.column}]`)} ` : "";
    // The sheet's message starts with where it is; here the line already says it.
    const head = `${rowsWhere(p.rows, p.column)}: `;
    const message = p.column && p.message.startsWith(head) ? p.message.slice(head.length) : p.message;
    lines.push(`  ${mark} ${where(p).padEnd(w)}  ${status}  ${column}${message}`);
  }
  if (r.problems.length > 0) lines.push("");
  const total = r.rows.bundles + r.rows.videos;
  const tables =
    r.rows.bundles > 0
      ? `${r.rows.bundles} bundles rows, ${r.rows.videos} videos rows`
      : `${r.rows.videos} rows`;
  const against =
    r.checked === "tokportal"
      ? "checked on their own and against TokPortal, reading only"
      : "checked on their own, not against TokPortal";
  const notes = r.problems.filter((p) => !INVALID.has(p.status)).length;
  const noteText = notes > 0 ? `; ${notes} ${notes === 1 ? "note" : "notes"}` : "";
  const verdict = r.valid
    ? c.green(`All ${total} rows are valid`)
    : c.red(`${r.invalidRows} of ${total} rows are not valid`);
  lines.push(`${verdict} (${tables}, ${against})${noteText}.`);
  if (r.note) lines.push(c.yellow(`Note: ${r.note}.`));
  return `${lines.join("\n")}\n`;
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runValidateCommand(flags: ValidateFlags, io: CommandIO): Promise<ExitCode> {
  const keep: { runtime: Runtime | null; apiKey: string | null } = {
    runtime: null,
    apiKey: io.env.TOKPORTAL_API_KEY?.trim() || null,
  };
  try {
    const result = await check(flags, io, keep);
    const out = flags.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : formatValidation(result, { color: io.color });
    await write(io.stdout, redact(out, keep.apiKey));
    return result.valid ? EXIT.ok : EXIT.rowsFailed;
  } catch (err) {
    const code = exitCodeForError(err);
    await write(io.stderr, redact(errorText(err, io.env), keep.apiKey));
    return code;
  } finally {
    await keep.runtime?.close().catch(() => undefined);
  }
}
