/**
 * What the commands that read a sheet share: the run options a config gives, and the one error line a
 * failure prints (never the API key, never a stack trace unless DEBUG is set).
 */
import { TokPortalError } from "../api/errors.ts";
import { ConfigError } from "../config/errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import { EXIT } from "../exit-codes.ts";
import type { RunOptions } from "../sync/run.ts";
import { authErrorOf, exitCodeForError } from "./outcome.ts";
import type { Runtime } from "./runtime.ts";

/** The options of `runSync` that come from the config and the runtime (each command adds its mode). */
export function runOptionsOf(
  loaded: LoadedConfig,
  runtime: Runtime,
): Pick<RunOptions, "source" | "client" | "prefix" | "defaults" | "baseDir" | "dateFormat"> {
  const c = loaded.config;
  return {
    source: runtime.source,
    client: runtime.client,
    prefix: c.ref_prefix,
    defaults: c.defaults,
    baseDir: loaded.baseDir,
    ...(c.source.date_format ? { dateFormat: c.source.date_format } : {}),
  };
}

/**
 * The error line(s) for a failure. `hint` replaces the error's own message when the command knows better
 * what to say (e.g. why a spend was refused without a terminal).
 */
export function errorText(err: unknown, env: Record<string, string | undefined>, hint?: string): string {
  const debug = env.DEBUG ? `${(err as Error)?.stack ?? String(err)}\n` : "";
  if (err instanceof ConfigError) return `${err.problems.map((p) => `error: ${p}`).join("\n")}\n${debug}`;
  let line: string;
  const auth = authErrorOf(err);
  if (auth) {
    line = `TokPortal refused the API key: ${auth.message} Check TOKPORTAL_API_KEY.`;
  } else if (hint) {
    line = hint;
  } else {
    line = (err instanceof Error ? err.message || err.name : String(err)).replace(/\s*\n\s*/g, " ");
    // Not an error written for users (a bug, or something unforeseen): say how to see where it came from.
    const expected = err instanceof TokPortalError || exitCodeForError(err) !== EXIT.rowsFailed;
    if (!expected && !env.DEBUG) line += " (set DEBUG=1 to see where it happened)";
  }
  return `error: ${line}\n${debug}`;
}
