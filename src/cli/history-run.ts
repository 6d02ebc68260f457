/**
 * What `tokportal-sync history` does: find the state folder the way `cron` does, read the run records
 * asked for (src/service/history.ts), and print them as a table or as JSON lines. Reads only.
 */
import { ConfigError } from "../config/errors.ts";
import { historyTarget } from "../config/service.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { RunHistory } from "../service/history.ts";
import type { RunRecord } from "../service/run-record.ts";
import { parseSince } from "../service/since.ts";
import { type CommandIO, write } from "./io.ts";

export interface HistoryFlags {
  config: string;
  configDir?: string;
  stateDir?: string;
  campaign?: string;
  since?: string;
  json?: boolean;
}

const COLUMNS = [
  "started (UTC)",
  "campaign",
  "by",
  "status",
  "time",
  "rows",
  "credits",
  "calls",
  "429",
  "exit",
  "errors",
];

function rowsCell(r: RunRecord): string {
  if (!r.counts) return "-";
  const c = r.counts;
  const parts = [`${c.synced} synced`];
  for (const k of ["pending", "locked", "error", "skipped"] as const)
    if (c[k] > 0) parts.push(`${c[k]} ${k}`);
  return parts.join(", ");
}

function errorsCell(r: RunRecord): string {
  if (r.error) return r.error.length > 80 ? `${r.error.slice(0, 79)}…` : r.error;
  if (r.errorRows === 0) return "";
  const codes = [...new Set(r.errors.map((e) => e.code).filter((c): c is string => !!c))];
  return `${r.errorRows} row${r.errorRows === 1 ? "" : "s"}${codes.length > 0 ? `: ${codes.join(", ")}` : ""}`;
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${(ms / 1000).toFixed(1)}s`;
}

/** The runs as an aligned table, oldest first. */
export function formatHistory(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return "No run recorded.\n";
  const cells = runs.map((r) => [
    r.startedAt.slice(0, 19).replace("T", " "),
    r.campaign,
    r.trigger,
    r.stopped ? `${r.status} (stopped)` : r.status,
    seconds(r.durationMs),
    rowsCell(r),
    String(r.creditsCharged),
    String(r.calls),
    String(r.rateLimited),
    String(r.exitCode),
    errorsCell(r),
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(COLUMNS), ...cells.map(line)].join("\n")}\n`;
}

export async function runHistoryCommand(flags: HistoryFlags, io: CommandIO): Promise<ExitCode> {
  try {
    const target = historyTarget({
      config: flags.config,
      ...(flags.configDir !== undefined ? { configDir: flags.configDir } : {}),
      ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
    });
    let since: number | undefined;
    if (flags.since !== undefined) {
      const at = parseSince(flags.since, Date.now());
      if (at === null) {
        throw new ConfigError(
          `--since: expected a date (2026-05-01), a date and time, or a duration (30m, 24h, 7d, 2w), got ${JSON.stringify(flags.since)}.`,
        );
      }
      since = at;
    }
    const campaign = flags.campaign ?? target.campaign ?? undefined;
    const runs = await new RunHistory(target.stateDir).read({
      ...(campaign !== undefined ? { campaign } : {}),
      ...(since !== undefined ? { since } : {}),
    });
    const out = flags.json ? runs.map((r) => `${JSON.stringify(r)}\n`).join("") : formatHistory(runs);
    await write(io.stdout, out);
    return EXIT.ok;
  } catch (err) {
    const lines = err instanceof ConfigError ? err.problems : [(err as Error).message];
    await write(io.stderr, lines.map((l) => `error: ${l}\n`).join(""));
    return EXIT.usage;
  }
}
