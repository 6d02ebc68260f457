/**
 * What `tokportal-sync sync` does: load the config, read the sheet, plan, confirm the spend, apply, write
 * each row's result back, print a summary (or the RunReport as JSON), and return the exit code that says
 * how it went (exit-codes.ts).
 */
import { createInterface } from "node:readline/promises";
import { TokPortalError } from "../api/errors.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import type { Plan, RunReport } from "../sync/types.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { authErrorOf, exitCodeForError, exitCodeForReport } from "./outcome.ts";
import { formatSummary, redact } from "./output.ts";
import { assertSourceUnlocked, openRuntime, type Runtime } from "./runtime.ts";

export interface SyncFlags {
  config: string;
  yes?: boolean;
  maxCredits?: number;
  prune?: boolean;
  json?: boolean;
}

/** Where the command reads and writes; the process's streams unless a caller swaps them. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Whether stdout takes colours (a terminal, NO_COLOR unset). */
  color: boolean;
}

export function processIO(): CommandIO {
  const color = !!process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, color };
}

/** Asks on the terminal; anything but y/yes is a no, and so is the input closing (Ctrl+D) unanswered. */
async function ask(io: CommandIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const closed = new Promise<string>((resolve) => rl.once("close", () => resolve("")));
    const answer = await Promise.race([rl.question(question), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runSyncCommand(flags: SyncFlags, io: CommandIO): Promise<ExitCode> {
  let runtime: Runtime | null = null;
  let apiKey: string | null = io.env.TOKPORTAL_API_KEY?.trim() || null;
  // Why a spend was refused without a terminal, to say so instead of "declined".
  let unconfirmed: { cost: number; balance: number | null } | null = null;
  try {
    const loaded = loadConfig(flags.config, io.env);
    const maxCredits = flags.maxCredits ?? loaded.config.max_credits;
    await assertSourceUnlocked(loaded);
    runtime = await openRuntime(loaded);
    apiKey = runtime.apiKey;
    const confirm = async (plan: Plan): Promise<boolean> => {
      // A budget is a standing answer: the run never spends past it.
      if (flags.yes || maxCredits !== null) return true;
      const { cost, balance } = plan.totals;
      if (!io.stdin.isTTY) {
        unconfirmed = { cost, balance };
        return false;
      }
      const after = balance === null ? "" : ` (balance ${balance})`;
      return ask(io, `Spend ${cost} credits${after}? [y/N] `);
    };
    const { runSync } = await import("../sync/run.ts");
    const c = loaded.config;
    const report: RunReport = await runSync({
      source: runtime.source,
      client: runtime.client,
      prefix: c.ref_prefix,
      defaults: c.defaults,
      maxCredits,
      prune: !!flags.prune,
      mode: "apply",
      baseDir: loaded.baseDir,
      confirm,
      ...(c.source.date_format ? { dateFormat: c.source.date_format } : {}),
    });
    const out = flags.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : formatSummary(report, { color: io.color });
    await write(io.stdout, redact(out, apiKey));
    return exitCodeForReport(report);
  } catch (err) {
    const code = exitCodeForError(err);
    await write(io.stderr, redact(errorText(err, unconfirmed, io.env), apiKey));
    return code;
  } finally {
    await runtime?.close().catch(() => undefined);
  }
}

function errorText(
  err: unknown,
  unconfirmed: { cost: number; balance: number | null } | null,
  env: Record<string, string | undefined>,
): string {
  const debug = env.DEBUG ? `${(err as Error)?.stack ?? String(err)}\n` : "";
  if (err instanceof ConfigError) return `${err.problems.map((p) => `error: ${p}`).join("\n")}\n${debug}`;
  let line: string;
  const auth = authErrorOf(err);
  if (auth) {
    line = `TokPortal refused the API key: ${auth.message} Check TOKPORTAL_API_KEY.`;
  } else if (unconfirmed && exitCodeForError(err) === EXIT.budget) {
    const balance = unconfirmed.balance === null ? "" : ` (balance ${unconfirmed.balance})`;
    line = `This run would spend ${unconfirmed.cost} credits${balance} and there is no terminal to confirm it: pass --yes, or set a budget with max_credits in the config (or --max-credits N). Nothing was done.`;
  } else {
    line = (err instanceof Error ? err.message || err.name : String(err)).replace(/\s*\n\s*/g, " ");
    // Not an error written for users (a bug, or something unforeseen): say how to see where it came from.
    const expected = err instanceof TokPortalError || exitCodeForError(err) !== EXIT.rowsFailed;
    if (!expected && !env.DEBUG) line += " (set DEBUG=1 to see where it happened)";
  }
  return `error: ${line}\n${debug}`;
}
