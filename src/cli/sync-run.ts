/**
 * What `tokportal-sync sync` does: load the config, take the sheet's run lock, read the sheet, plan (or
 * check a saved plan is still current), confirm the spend, apply with a progress bar, write each row's
 * result back, print a summary (or the RunReport as JSON), and return the exit code that says how it went
 * (src/exit-codes.ts).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { destructiveOps } from "../sync/plan-pullback.ts";
import type { Plan, RunReport } from "../sync/types.ts";
import { errorText, runOptionsOf } from "./command.ts";
import { recordManualRun } from "./history-record.ts";
import { type CommandIO, processIO, write } from "./io.ts";
import { exitCodeForError, exitCodeForReport, UsageError } from "./outcome.ts";
import { formatSummary, redact } from "./output.ts";
import { formatPlan } from "./plan-table.ts";
import { type Progress, progressFor } from "./progress.ts";
import { withRunLock } from "./run-lock.ts";
import { assertSourceUnlocked, openRuntime, type Runtime } from "./runtime.ts";

export { type CommandIO, processIO };

export interface SyncFlags {
  config: string;
  yes?: boolean;
  maxCredits?: number;
  prune?: boolean;
  json?: boolean;
  /** A plan saved by `plan --out`: applied as it is, if the sheet and TokPortal have not changed since. */
  plan?: string;
  /** Only the analytics columns: no plan, no TokPortal write (for sheets whose content is frozen). */
  analyticsOnly?: boolean;
}

/** Asks on the terminal; anything but y/yes is a no, and so is the input closing (Ctrl+D) unanswered. */
async function ask(io: CommandIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  // Ctrl+C at the question is a no (readline would otherwise only pause, leaving the question open).
  rl.once("SIGINT", () => rl.close());
  try {
    const closed = new Promise<string>((resolve) => rl.once("close", () => resolve("")));
    const answer = await Promise.race([rl.question(question), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Reads a plan saved by `plan --out` (unreadable or malformed: a usage error, exit 2). */
export async function readSavedPlan(file: string): Promise<Plan> {
  const { parsePlanFile } = await import("../sync/plan-file.ts");
  let text: string;
  try {
    text = await readFile(path.resolve(file), "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "it is a directory" : e.message;
    throw new UsageError(`cannot read the plan file ${file}: ${why}. Save one with \`plan --out ${file}\`.`);
  }
  return parsePlanFile(text);
}

/**
 * The budget and `--prune` of a run that applies a saved plan: the plan's own (they are part of what it
 * was computed from). Flags that say otherwise are refused rather than silently ignored.
 */
function savedPlanSettings(saved: Plan, flags: SyncFlags): { prune: boolean; maxCredits: number | null } {
  if (flags.prune && !saved.prune) {
    throw new UsageError(
      "the saved plan was made without --prune; make it again with `plan --prune --out FILE` to prune.",
    );
  }
  const budget = saved.totals.maxCredits;
  if (flags.maxCredits !== undefined && flags.maxCredits !== budget) {
    throw new UsageError(
      `the saved plan was made with ${budget === null ? "no credit budget" : `max_credits ${budget}`}; --max-credits ${flags.maxCredits} would change it. Make the plan again with that budget.`,
    );
  }
  return { prune: saved.prune, maxCredits: budget };
}

export interface SyncCommandOptions {
  /** A stop (Ctrl+C): no new step starts; the calls in flight and the write-back finish. */
  signal?: AbortSignal;
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runSyncCommand(
  flags: SyncFlags,
  io: CommandIO,
  options: SyncCommandOptions = {},
): Promise<ExitCode> {
  let runtime: Runtime | null = null;
  let progress: Progress | null = null;
  let apiKey: string | null = io.env.TOKPORTAL_API_KEY?.trim() || null;
  // Why a spend was refused without a terminal, to say so instead of "declined".
  let unconfirmed: { cost: number; balance: number | null; pullBacks: number } | null = null;
  // The run history, when the campaign keeps one (src/cli/history-record.ts).
  const startedAt = new Date();
  let recordAs: LoadedConfig | null = null;
  const record = (report: RunReport | null, error: string | null, exitCode: number) =>
    recordAs
      ? recordManualRun(
          recordAs,
          { startedAt, report, error, exitCode, stopped: !!options.signal?.aborted },
          io.env,
          (line) => write(io.stderr, line),
        )
      : Promise.resolve();
  try {
    const loaded = loadConfig(flags.config, io.env);
    recordAs = loaded;
    if (flags.analyticsOnly && (flags.plan !== undefined || flags.prune || flags.maxCredits !== undefined)) {
      throw new UsageError(
        "--analytics-only changes nothing on TokPortal: it takes no --plan, --prune or --max-credits.",
      );
    }
    const saved = flags.plan !== undefined ? await readSavedPlan(flags.plan) : null;
    const settings = saved
      ? savedPlanSettings(saved, flags)
      : { prune: !!flags.prune, maxCredits: flags.maxCredits ?? loaded.config.max_credits };
    const confirm = async (plan: Plan): Promise<boolean> => {
      // A saved plan was reviewed with its cost when it was made.
      if (flags.yes || saved) return true;
      const pullBacks = destructiveOps(plan).length;
      // A budget is a ceiling, not a yes: someone at a terminal still sees the plan and answers. Without
      // one (cron, CI, output piped away) the budget lets the run spend within it. It never covers a pull
      // back (unpublish, unschedule), which cannot be undone: that takes --yes or the prompt.
      if (settings.maxCredits !== null && !isTerminal(io) && pullBacks === 0) return true;
      const { cost, balance } = plan.totals;
      if (!io.stdin.isTTY) {
        unconfirmed = { cost, balance, pullBacks };
        return false;
      }
      // What the credits buy, before the question (on stderr with it: stdout keeps only the summary).
      await write(io.stderr, `${formatPlan(plan, { color: !!io.stderrColor })}\n`);
      const after = balance === null ? "" : ` (balance ${balance})`;
      const parts = [
        ...(cost > 0 ? [`spend ${cost} credits${after}`] : []),
        ...(pullBacks > 0 ? [`pull back ${pullBacks} (unpublish/unschedule, cannot be undone)`] : []),
      ];
      const question = parts.join(" and ");
      return ask(io, `${question.charAt(0).toUpperCase()}${question.slice(1)}? [y/N] `);
    };
    const report = await withRunLock(loaded, async (hold): Promise<RunReport> => {
      // The run lock keeps other runs out; a CSV file being rewritten by a process that does not take it
      // (an older version, a tool) would only be found at write-back, after TokPortal was changed.
      await assertSourceUnlocked(loaded);
      // The lock's source: its lease stops the apply and refuses the write-back once lost.
      runtime = await openRuntime(loaded, hold.source ? { source: hold.source } : {});
      apiKey = runtime.apiKey;
      progress = progressFor(io, !!flags.json);
      const bar = progress;
      const { runSync } = await import("../sync/run.ts");
      try {
        return await runSync({
          ...runOptionsOf(loaded, runtime),
          maxCredits: settings.maxCredits,
          prune: settings.prune,
          mode: flags.analyticsOnly ? "analytics" : "apply",
          analytics: loaded.config.analytics,
          confirm,
          signal: options.signal ? AbortSignal.any([options.signal, hold.signal]) : hold.signal,
          ...(saved ? { savedPlan: saved } : {}),
          ...(bar ? { onProgress: (e) => bar.onProgress(e) } : {}),
        });
      } finally {
        bar?.stop();
      }
    });
    const out = flags.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : formatSummary(report, { color: io.color });
    await write(io.stdout, redact(out, apiKey));
    const code = exitCodeForReport(report);
    await record(report, null, code);
    return code;
  } catch (err) {
    (progress as Progress | null)?.stop();
    const code = exitCodeForError(err);
    const hint = unconfirmed && code === EXIT.budget ? unconfirmedHint(unconfirmed) : undefined;
    const text = redact(errorText(err, io.env, hint), apiKey);
    await write(io.stderr, text);
    await record(null, text.replace(/^error: /, "").split("\n")[0] ?? null, code);
    return code;
  } finally {
    await (runtime as Runtime | null)?.close().catch(() => undefined);
  }
}

/** A person at a terminal: both the keyboard and the screen are a TTY. */
function isTerminal(io: CommandIO): boolean {
  return !!io.stdin.isTTY && !!(io.stdout as { isTTY?: boolean }).isTTY;
}

function unconfirmedHint(u: { cost: number; balance: number | null; pullBacks: number }): string {
  if (u.cost === 0 && u.pullBacks > 0)
    return `This run would pull back ${u.pullBacks} published ${u.pullBacks === 1 ? "item" : "items"} (unpublish or unschedule: it cannot be undone) and there is no terminal to confirm it: pass --yes. Nothing was done.`;
  const balance = u.balance === null ? "" : ` (balance ${u.balance})`;
  return `This run would spend ${u.cost} credits${balance} and there is no terminal to confirm it: pass --yes, or set a budget with max_credits in the config (or --max-credits N). Nothing was done.`;
}
