/**
 * Alerts of the service's campaigns: at the end of each run, its facts are weighed against the campaign's
 * alert state (src/alerts/conditions.ts); what opened or recovered becomes one message, queued on each of
 * the campaign's channels (src/alerts/queue.ts), and the state is saved. Nothing here is awaited by a
 * run: `runEnded` returns at once, and work per campaign is chained so its states are weighed in order.
 */
import type { Logger } from "pino";
import type { TokPortalClient } from "../api/client.ts";
import type { RunRecord } from "../service/run-record.ts";
import type { RunReport } from "../sync/types.ts";
import { planBalance, readBalance, wantsBalanceRead } from "./balance.ts";
import type { AlertCode, OpenCondition } from "./codes.ts";
import {
  type AlertSettings,
  type AlertState,
  type BalanceFacts,
  evaluate,
  runFactsOf,
} from "./conditions.ts";
import { buildMessage } from "./message.ts";
import type { DeliveryQueue } from "./queue.ts";
import type { AlertStateStore } from "./state-store.ts";
import { groupHeadline } from "./words.ts";

export interface CampaignAlerts {
  settings: AlertSettings;
  queues: DeliveryQueue[];
  sheetUrl: string | null;
}

export class Alerter {
  private readonly states = new Map<string, Promise<AlertState>>();
  /** The balance read at the end of a campaign's run, until its record arrives. */
  private readonly balances = new Map<string, BalanceFacts>();

  constructor(
    private readonly store: AlertStateStore,
    private readonly campaigns: ReadonlyMap<string, CampaignAlerts>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  has(campaign: string): boolean {
    return this.campaigns.has(campaign);
  }

  private state(campaign: string): Promise<AlertState> {
    let s = this.states.get(campaign);
    if (!s) {
      s = this.store.load(campaign);
      this.states.set(campaign, s);
    }
    return s;
  }

  /**
   * The read a run's end makes with the run's own client (and rate gate), when a balance threshold needs
   * it (src/alerts/balance.ts). A failed read only leaves the balance unknown this run.
   */
  async probe(
    campaign: string,
    client: TokPortalClient,
    report: RunReport,
    signal: AbortSignal,
  ): Promise<void> {
    const c = this.campaigns.get(campaign);
    if (!c || signal.aborted) return;
    const state = await this.state(campaign);
    if (!wantsBalanceRead(c.settings, report, state.balanceReadAt, this.now())) return;
    try {
      this.balances.set(campaign, await readBalance(client));
    } catch {
      this.logger.warn(
        { event: "alert_balance_unread", campaign },
        "alerts: the credit balance could not be read this run",
      );
    }
  }

  /** Weighs a finished run and queues its message, if any; returns at once. */
  runEnded(campaign: string, record: RunRecord, report: RunReport | null): void {
    const c = this.campaigns.get(campaign);
    if (!c) return;
    const read = this.balances.get(campaign) ?? null;
    this.balances.delete(campaign);
    const known = planBalance(report);
    const balance = read ?? (known !== null ? { total: known, expirations: null } : null);
    const next = this.state(campaign).then(async (prev) => {
      const { state, opened, recovered } = evaluate(prev, runFactsOf(record, report, balance), c.settings);
      const saved = read ? { ...state, balanceReadAt: new Date(this.now()).toISOString() } : state;
      const message = buildMessage(campaign, record.finishedAt, c.sheetUrl, opened, recovered);
      if (message) for (const q of c.queues) q.push(message);
      await this.store
        .save(campaign, saved)
        .catch(() =>
          this.logger.error(
            { event: "alert_state_failed", campaign },
            "alerts: the alert state could not be saved",
          ),
        );
      return saved;
    });
    // A failure above is logged; the next run starts from the state before it.
    this.states.set(
      campaign,
      next.catch(() => this.store.load(campaign)),
    );
  }

  /** The conditions open now, one entry per code (the status page shows them). */
  async openAlerts(campaign: string): Promise<{ code: string; since: string; words: string }[]> {
    if (!this.campaigns.has(campaign)) return [];
    const state = await this.state(campaign).catch(() => null);
    if (!state) return [];
    const byCode = new Map<AlertCode, OpenCondition[]>();
    for (const c of Object.values(state.open)) byCode.set(c.code, [...(byCode.get(c.code) ?? []), c]);
    return [...byCode].map(([code, items]) => ({
      code,
      since: items.map((i) => i.since).sort()[0] ?? "",
      words: groupHeadline(code, items, false).replace(/:$/, "."),
    }));
  }

  /** Resolves once every run ended so far has been weighed and its message queued. */
  async settled(): Promise<void> {
    await Promise.all([...this.states.values()]);
  }

  /** Stop: the states saved, then every queue given `deadlineMs` to deliver what it holds. */
  async drain(deadlineMs: number): Promise<void> {
    await this.settled();
    const queues = new Set([...this.campaigns.values()].flatMap((c) => c.queues));
    const counts = await Promise.all([...queues].map((q) => q.drain(deadlineMs)));
    const left = counts.reduce((n, c) => n + c.abandoned, 0);
    if (left > 0) {
      this.logger.warn(
        { event: "alerts_undelivered", messages: left },
        `alerts: ${left} messages not delivered before the service stopped`,
      );
    }
  }
}
