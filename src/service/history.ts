/**
 * The run history: one JSON line per run, under `<state dir>/history/<campaign>/<YYYY-MM>.jsonl` (the
 * month of the run's start, UTC). A line is appended in one write to a file opened for appending, so runs
 * of the service and a manual `sync` writing at once do not mix their lines; a torn last line (a crash
 * mid-write) is skipped on reading. Month files make retention cheap (a whole month past it is deleted;
 * only the month that straddles the limit is rewritten) and let a `since` read skip older months.
 */
import { appendFile, mkdir, readdir, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { isRunRecord, type RunRecord } from "./run-record.ts";

export const HISTORY_DIR = "history";
const DAY_MS = 86_400_000;

export interface HistoryQuery {
  campaign?: string;
  /** Runs that started at or after this time (ms). */
  since?: number;
  /** At most this many, the latest (default: all). */
  limit?: number;
}

const monthOf = (iso: string): string => iso.slice(0, 7);

/** The first instant after a month file's month (ms). */
function monthEnd(month: string): number {
  const [y, m] = month.split("-").map(Number);
  return Date.UTC(y ?? 0, m ?? 0, 1);
}

export class RunHistory {
  readonly dir: string;
  /** Appends of this process, one file at a time in order (a prune must not rewrite under them). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, HISTORY_DIR);
  }

  private fileOf(campaign: string, month: string): string {
    return path.join(this.dir, campaign, `${month}.jsonl`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  append(record: RunRecord): Promise<void> {
    return this.serial(async () => {
      const file = this.fileOf(record.campaign, monthOf(record.startedAt));
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify(record)}\n`, { flag: "a" });
    });
  }

  /** Campaigns with a history folder. */
  async campaigns(): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  private async months(campaign: string): Promise<string[]> {
    try {
      const names = await readdir(path.join(this.dir, campaign));
      return names
        .filter((n) => /^\d{4}-\d{2}\.jsonl$/.test(n))
        .map((n) => n.slice(0, 7))
        .sort();
    } catch {
      return [];
    }
  }

  private async readMonth(campaign: string, month: string): Promise<RunRecord[]> {
    let text: string;
    try {
      text = await readFile(this.fileOf(campaign, month), "utf8");
    } catch {
      return [];
    }
    const out: RunRecord[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isRunRecord(value)) out.push(value);
      } catch {
        // A line cut short by a crash: the others are whole.
      }
    }
    return out;
  }

  /** The runs asked for, oldest first. */
  async read(query: HistoryQuery = {}): Promise<RunRecord[]> {
    const names = query.campaign !== undefined ? [query.campaign] : await this.campaigns();
    const since = query.since ?? Number.NEGATIVE_INFINITY;
    const out: RunRecord[] = [];
    for (const campaign of names) {
      for (const month of await this.months(campaign)) {
        if (monthEnd(month) <= since) continue;
        for (const r of await this.readMonth(campaign, month)) {
          if (Date.parse(r.startedAt) >= since) out.push(r);
        }
      }
    }
    out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.campaign.localeCompare(b.campaign));
    return query.limit !== undefined && out.length > query.limit ? out.slice(-query.limit) : out;
  }

  /** The latest run of each campaign (from its newest month file). */
  async latest(campaign: string): Promise<RunRecord | null> {
    const months = await this.months(campaign);
    for (const month of months.reverse()) {
      const runs = await this.readMonth(campaign, month);
      if (runs.length > 0) return runs.at(-1) ?? null;
    }
    return null;
  }

  /** Deletes the runs that started more than `retentionDays` before `now`; returns how many went. */
  prune(retentionDays: number, now: number = Date.now()): Promise<number> {
    const cutoff = now - retentionDays * DAY_MS;
    return this.serial(async () => {
      let removed = 0;
      for (const campaign of await this.campaigns()) {
        for (const month of await this.months(campaign)) {
          const file = this.fileOf(campaign, month);
          if (monthEnd(month) <= cutoff) {
            removed += (await this.readMonth(campaign, month)).length;
            await unlink(file).catch(() => undefined);
            continue;
          }
          if (Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1, 1) >= cutoff) continue;
          const runs = await this.readMonth(campaign, month);
          const kept = runs.filter((r) => Date.parse(r.startedAt) >= cutoff);
          if (kept.length === runs.length) continue;
          removed += runs.length - kept.length;
          await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
        }
      }
      return removed;
    });
  }
}
