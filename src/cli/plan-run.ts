import { loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { ServerCheck } from "../sync/server-check.ts";
import { palette } from "./color.ts";
import { errorText, runOptionsOf } from "./command.ts";
import { type CommandIO, saveFile, write } from "./io.ts";
import { exitCodeForError, exitCodeForReport } from "./outcome.ts";
import { redact } from "./output.ts";
import { formatServerCheck, planLines } from "./plan-table.ts";
import { openRuntime, type Runtime } from "./runtime.ts";

/** The engine's orphan warnings (src/sync/run.ts), shown in the plan's totals instead. */
const ORPHAN_WARNING = /are on TokPortal but not in the sheet/;

export interface PlanFlags {
  config: string;
  json?: boolean;
  out?: string;
  serverCheck?: boolean;
  maxCredits?: number;
  prune?: boolean;
}

const CHUNK_CHARS = 1 << 15;

/**
 * Writes the pieces in chunks of about 32,000 characters, each redacted, waiting for the stream to take
 * each. Small enough that no chunk is one of V8's large objects (which only a full collection frees: a
 * 66 MB `--json` printed a megabyte at a time held tens of them at once).
 */
async function writePieces(stream: NodeJS.WritableStream, pieces: Iterable<string>, apiKey: string | null) {
  let chunk: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    chunk.push(piece);
    size += piece.length;
    if (size >= CHUNK_CHARS) {
      await write(stream, redact(chunk.join(""), apiKey));
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) await write(stream, redact(chunk.join(""), apiKey));
}

function* withNewlines(...parts: Iterable<string>[]): Generator<string> {
  for (const lines of parts) for (const line of lines) yield `${line}\n`;
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runPlanCommand(flags: PlanFlags, io: CommandIO): Promise<ExitCode> {
  let runtime: Runtime | null = null;
  let apiKey: string | null = io.env.TOKPORTAL_API_KEY?.trim() || null;
  try {
    const loaded = loadConfig(flags.config, io.env);
    runtime = await openRuntime(loaded);
    apiKey = runtime.apiKey;
    const { runSync } = await import("../sync/run.ts");
    const { assertNoSecrets, planJsonPieces, serializePlan } = await import("../sync/plan-file.ts");
    const report = await runSync({
      ...runOptionsOf(loaded, runtime),
      maxCredits: flags.maxCredits ?? loaded.config.max_credits,
      prune: !!flags.prune,
      mode: "plan",
      analytics: false,
    });
    const plan = report.plan;
    // Refuses a plan holding key-like text before anything is printed or saved.
    assertNoSecrets(plan);
    let check: ServerCheck | null = null;
    if (flags.serverCheck) {
      const { serverCheck } = await import("../sync/server-check.ts");
      check = await serverCheck(plan, runtime.client, {
        concurrency: loaded.config.tokportal.concurrency ?? 4,
      });
    }
    if (flags.out !== undefined) await saveFile(flags.out, serializePlan(plan), "the plan");

    if (flags.json) {
      // The plan file's JSON (plus `serverCheck` when asked), printed piece by piece: never one string.
      await writePieces(io.stdout, planJsonPieces(plan, check ? { serverCheck: check } : {}), apiKey);
    } else {
      const c = palette(io.color);
      // The table's lines are made as they are printed, a chunk at a time (never all of them at once).
      const head = [c.bold(`Plan for ${report.source}`), ""];
      const tail: string[] = [""];
      // The totals already list the orphans; the rest (ignored columns, unreadable rows) only shows here.
      const warnings = report.warnings.filter((w) => !ORPHAN_WARNING.test(w));
      if (warnings.length > 0) tail.push(c.bold("Warnings:"), ...warnings.map((w) => c.yellow(`  ${w}`)), "");
      if (check) tail.push(formatServerCheck(check, plan, { color: io.color }));
      if (flags.out !== undefined) {
        tail.push(
          `Saved to ${flags.out}; apply exactly this plan with: tokportal-sync sync --plan ${flags.out}`,
        );
      }
      tail.push(
        plan.ops.length > 0
          ? "Nothing was changed (this is a plan): `tokportal-sync sync` applies it."
          : "Nothing was changed (this is a plan).",
      );
      await writePieces(io.stdout, withNewlines(head, planLines(plan, { color: io.color }), tail), apiKey);
    }
    const code = exitCodeForReport(report);
    return code === EXIT.ok && check && check.counts.refused > 0 ? EXIT.rowsFailed : code;
  } catch (err) {
    const code = exitCodeForError(err);
    await write(io.stderr, redact(errorText(err, io.env), apiKey));
    return code;
  } finally {
    await (runtime as Runtime | null)?.close().catch(() => undefined);
  }
}
