/**
 * The campaign view model: from what is known of a campaign (its runs, the sheet's rows, the analytics
 * history, the balance) to the numbers the status page and the report show. Pure: the pages only lay
 * these out, and the browser tests compare the page with them.
 */
import type { SheetRow } from "../sources/types.ts";
import type { SyncStatus } from "../sync/types.ts";
import { fixOf, type RunEntry, type RunError, runOutcome, STATUSES, type Tone } from "./runs.ts";
import { type Chart, creditsChart, postsChart, seriesByAccount } from "./series.ts";

/** One open alert of a campaign, as the alerts module will hand it over (none until it is wired). */
export interface OpenAlert {
  code: string;
  since: string;
  words: string;
}

/** Where open alerts come from; the service has none until alerts are wired in. */
export interface AlertSource {
  openAlerts(campaign: string): OpenAlert[] | Promise<OpenAlert[]>;
}

export const NO_ALERTS: AlertSource = { openAlerts: () => [] };

export interface CampaignInput {
  name: string;
  /** What "today" and "this month" are measured from (ms; the sandbox's clock in tests). */
  now: number;
  /** Runs in any order. */
  runs: RunEntry[];
  /** The sheet's rows, null when the sheet could not be read (`sheetError` says why). */
  tables: { bundles: SheetRow[] | null; videos: SheetRow[] } | null;
  sheetError?: string | null;
  history: { rows: string[][] } | null;
  balance: number | null;
  maxCredits: number | null;
  nextRunAt: string | null;
  running: boolean;
  alerts: OpenAlert[];
  /** A link to a row in the sheet (Google Sheets), null for CSV. */
  rowLink: (table: string, row: number) => string | null;
}

export interface RowErrorView extends RunError {
  row: number;
  fix: string | null;
  link: string | null;
}

export interface RunView extends RunEntry {
  words: string;
  tone: Tone;
  rowErrors: RowErrorView[];
}

export interface BundleView {
  bundleRef: string;
  platform: string;
  country: string;
  bundleStatus: string;
  accountStatus: string;
  account: string;
  videos: number;
  credits: number;
  syncStatus: string;
}

export interface CampaignView {
  name: string;
  lastRun: RunView | null;
  running: boolean;
  nextRunAt: string | null;
  /** Rows of both tables by `sync_status`; `none` for rows never synced. */
  rows: Record<SyncStatus | "none", number>;
  rowsTotal: number;
  creditsToday: number;
  creditsMonth: number;
  maxCredits: number | null;
  balance: number | null;
  alerts: OpenAlert[];
  /** Newest first. */
  runs: RunView[];
  bundles: BundleView[];
  charts: { posts: Chart; credits: Chart; views: Chart; followers: Chart };
  sheetError: string | null;
}

const cell = (row: SheetRow, name: string): string => row.cells[name] ?? "";

function runView(run: RunEntry, link: CampaignInput["rowLink"]): RunView {
  const { words, tone } = runOutcome(run);
  const rowErrors = run.errors.flatMap((e) =>
    e.rows.slice(0, 1).map((row) => ({ ...e, row, fix: fixOf(e.code), link: link(e.table, row) })),
  );
  return { ...run, words, tone, rowErrors };
}

function bundles(input: CampaignInput): BundleView[] {
  const tables = input.tables;
  if (!tables) return [];
  const videosOf = new Map<string, number>();
  for (const v of tables.videos) {
    const ref = cell(v, "bundle_ref");
    videosOf.set(ref, (videosOf.get(ref) ?? 0) + 1);
  }
  // Single-table sheets carry the bundle columns on every video row: the first row of each bundle speaks.
  const rows = tables.bundles ?? tables.videos;
  const seen = new Set<string>();
  const out: BundleView[] = [];
  for (const r of rows) {
    const ref = cell(r, "bundle_ref");
    if (ref === "" || seen.has(ref)) continue;
    seen.add(ref);
    out.push({
      bundleRef: ref,
      platform: cell(r, "platform"),
      country: cell(r, "country"),
      bundleStatus: cell(r, "bundle_status"),
      accountStatus: cell(r, "account_status"),
      account: cell(r, "account_username"),
      videos: videosOf.get(ref) ?? 0,
      credits: Number(cell(r, "credits_charged")) || 0,
      syncStatus: tables.bundles ? cell(r, "sync_status") : "",
    });
  }
  return out;
}

function rowCounts(input: CampaignInput): Record<SyncStatus | "none", number> {
  const counts = { none: 0, ...Object.fromEntries(STATUSES.map((s) => [s, 0])) } as Record<
    SyncStatus | "none",
    number
  >;
  const t = input.tables;
  for (const r of [...(t?.bundles ?? []), ...(t?.videos ?? [])]) {
    const s = cell(r, "sync_status") as SyncStatus;
    if ((STATUSES as readonly string[]).includes(s)) counts[s]++;
    else counts.none++;
  }
  return counts;
}

export function buildCampaignView(input: CampaignInput): CampaignView {
  const runs = [...input.runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const today = new Date(input.now).toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const sum = (prefix: string) =>
    runs.filter((r) => r.startedAt.startsWith(prefix)).reduce((n, r) => n + r.creditsCharged, 0);
  const rows = rowCounts(input);
  const videos = input.tables?.videos ?? [];
  const history = input.history;
  const last = runs[0];
  return {
    name: input.name,
    lastRun: last ? runView(last, input.rowLink) : null,
    running: input.running,
    nextRunAt: input.nextRunAt,
    rows,
    rowsTotal: Object.values(rows).reduce((a, b) => a + b, 0),
    creditsToday: sum(today),
    creditsMonth: sum(month),
    maxCredits: input.maxCredits,
    balance: input.balance,
    alerts: input.alerts,
    runs: runs.map((r) => runView(r, input.rowLink)),
    bundles: bundles(input),
    charts: {
      posts: postsChart(videos),
      credits: creditsChart(runs, input.now),
      views: seriesByAccount(history, "views", "Views per day, by account"),
      followers: seriesByAccount(history, "followers", "Followers per day, by account"),
    },
    sheetError: input.sheetError ?? null,
  };
}
