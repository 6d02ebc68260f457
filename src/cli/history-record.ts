/**
 * A manual `sync` in the run history, beside the service's runs: appended when the campaign has a state
 * folder (`TOKPORTAL_SYNC_STATE_DIR`, or the `.tokportal-sync/` a service keeps next to the config file),
 * named after the config file. Recording never changes how the command ends: a failure to write is one
 * warning line on stderr.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { LoadedConfig } from "../config/load.ts";
import { campaignNameOf, DEFAULT_STATE_DIR } from "../config/service.ts";
import { HISTORY_DIR, RunHistory } from "../service/history.ts";
import { runRecordOf } from "../service/run-record.ts";
import { summarizeFailure, summarizeReport } from "../service/run-summary.ts";
import type { RunReport } from "../sync/types.ts";

export const STATE_DIR_ENV = "TOKPORTAL_SYNC_STATE_DIR";

/** The state folder a manual run of this config records into, or null when there is none. */
export function manualStateDir(loaded: LoadedConfig, env: Record<string, string | undefined>): string | null {
  const fromEnv = env[STATE_DIR_ENV]?.trim();
  if (fromEnv) return path.resolve(fromEnv);
  const beside = path.join(loaded.baseDir, DEFAULT_STATE_DIR);
  return existsSync(path.join(beside, HISTORY_DIR)) ? beside : null;
}

export interface ManualRun {
  startedAt: Date;
  report: RunReport | null;
  /** The error line when the run ended with an error. */
  error: string | null;
  exitCode: number;
  stopped: boolean;
}

export async function recordManualRun(
  loaded: LoadedConfig,
  run: ManualRun,
  env: Record<string, string | undefined>,
  warn: (line: string) => Promise<void> | void,
): Promise<void> {
  const dir = manualStateDir(loaded, env);
  if (!dir) return;
  const ctx = {
    run: 1,
    startedAt: run.startedAt,
    finishedAt: new Date(),
    stopped: run.stopped,
    nextRunAt: null,
  };
  const summary = run.report
    ? summarizeReport(run.report, ctx)
    : summarizeFailure(run.error ?? "the run ended with an error", ctx);
  const record = runRecordOf(summary, run.report, {
    campaign: campaignNameOf(loaded.file),
    trigger: "sync",
    exitCode: run.exitCode,
  });
  try {
    await new RunHistory(dir).append(record);
  } catch (err) {
    await warn(`warning: the run was not recorded in the run history (${(err as Error).message}).\n`);
  }
}
