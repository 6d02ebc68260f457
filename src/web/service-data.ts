/**
 * The status pages' data in the service: each campaign's runs (the run history), its sheet (read at most
 * every SHEET_TTL_MS, so page views do not spend the sheet's quota), the balance the last run saw, and
 * "sync now" as one run of the campaign's scheduler, refused while one runs or the sheet is locked.
 */

import { sheetHeld } from "../cli/run-lock.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { CampaignService, InvalidCampaign } from "../service/campaigns.ts";
import type { RunHistory } from "../service/history.ts";
import { createSource } from "../sources/index.ts";
import type { RunReport } from "../sync/types.ts";
import { type AlertSource, type CampaignInput, NO_ALERTS } from "./model.ts";
import { runsFromRecords } from "./runs.ts";
import type { StatusData, SyncNow, SyncNowResult } from "./server.ts";
import { rowLinkOf, type SheetData, sheetOf } from "./sheet-data.ts";

export const SHEET_TTL_MS = 60_000;

export interface ServiceCampaign {
  name: string;
  loaded: LoadedConfig;
}

/** The balance a run's plan read (null when the run asked for none). */
export function balanceOf(report: RunReport | null): number | null {
  return report && "plan" in report ? report.plan.totals.balance : null;
}

export class ServiceStatus implements StatusData, SyncNow {
  private readonly sheets = new Map<string, { at: number; data: Promise<SheetData> }>();
  private readonly balances = new Map<string, number>();

  constructor(
    private readonly campaigns: ServiceCampaign[],
    private readonly service: CampaignService,
    private readonly history: RunHistory,
    private readonly invalid: InvalidCampaign[] = [],
    private readonly alerts: AlertSource = NO_ALERTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps the balance a finished run saw (hooked on each campaign's run end). */
  noteRun(campaign: string, report: RunReport | null): void {
    const b = balanceOf(report);
    if (b !== null) this.balances.set(campaign, b);
    this.sheets.delete(campaign);
  }

  names(): string[] {
    return [...this.campaigns.map((c) => c.name), ...this.invalid.map((c) => c.name)];
  }

  /** A campaign whose config is bad: its past runs, and why it does not run. */
  private async invalidInput(bad: InvalidCampaign): Promise<CampaignInput> {
    const records = await this.history.read({ campaign: bad.name });
    return {
      name: bad.name,
      now: this.now(),
      runs: runsFromRecords(records),
      tables: null,
      sheetError: `not running, its config is bad: ${bad.problems.join("; ")}`,
      history: null,
      balance: null,
      maxCredits: null,
      nextRunAt: null,
      running: false,
      alerts: await this.alerts.openAlerts(bad.name),
      rowLink: () => null,
    };
  }

  private sheet(c: ServiceCampaign): Promise<SheetData> {
    const cached = this.sheets.get(c.name);
    if (cached && Date.now() - cached.at < SHEET_TTL_MS) return cached.data;
    const source = createSource(c.loaded.source, { baseDir: c.loaded.baseDir });
    const data = sheetOf(source);
    this.sheets.set(c.name, { at: Date.now(), data });
    return data;
  }

  async input(name: string): Promise<CampaignInput | null> {
    const c = this.campaigns.find((x) => x.name === name);
    const bad = this.invalid.find((x) => x.name === name);
    if (!c) return bad ? this.invalidInput(bad) : null;
    const state = this.service.campaigns().find((s) => s.name === name);
    const [records, sheet] = await Promise.all([this.history.read({ campaign: name }), this.sheet(c)]);
    return {
      name,
      now: this.now(),
      runs: runsFromRecords(records),
      tables: sheet.tables,
      sheetError: sheet.error,
      history: sheet.history,
      balance: this.balances.get(name) ?? null,
      maxCredits: c.loaded.config.max_credits,
      nextRunAt: state?.nextRunAt ?? null,
      running: state?.running ?? false,
      alerts: await this.alerts.openAlerts(name),
      rowLink: rowLinkOf(c.loaded.source, sheet.tabIds),
    };
  }

  async runNow(name: string): Promise<SyncNowResult> {
    const c = this.campaigns.find((x) => x.name === name);
    if (this.invalid.some((x) => x.name === name)) return { started: false, reason: "invalid" };
    if (!c) return { started: false, reason: "unknown" };
    if (this.service.campaigns().find((s) => s.name === name)?.running)
      return { started: false, reason: "running" };
    if (await sheetHeld(c.loaded)) return { started: false, reason: "locked" };
    const { result } = this.service.runNow(name, "manual");
    if (result === "started") return { started: true };
    if (result === "queued") return { started: false, reason: "running" };
    return { started: false, reason: result === "stopping" ? "stopping" : "unknown" };
  }
}
