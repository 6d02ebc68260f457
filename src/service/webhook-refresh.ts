/**
 * From TokPortal's events to refreshes: an event that changes what the sheet shows (a video posted, sent
 * back for corrections or finalized; an account delivered, finalized, remade or banned; a bundle cancelled
 * or archived) starts a run of the campaign it concerns, so the sheet gets the post URL in minutes
 * instead of at the next tick. The run is an ordinary sync: it reads TokPortal's state and never acts on
 * the event's content, so a lost or doubled event costs nothing but timing, and polling stays the fallback.
 *
 * Which campaign: the bundle's `external_ref` when the event carries it (a campaign's refs all start with
 * its `ref_prefix`), else the bundle ids its last run saw, else every campaign of the subscription the
 * event was signed for (a TokPortal key has one subscription, shared by its campaigns).
 *
 * Debounced: the first event for a campaign opens a window (`debounceMs`); events inside it join it, and
 * one run starts when it closes. A run asked for while one is in flight starts right after it
 * (SyncScheduler.runNow), so a burst never runs twice in parallel.
 */
import type { Logger } from "pino";
import type { WebhookEventType } from "../api/types.ts";
import type { RunReport } from "../sync/types.ts";
import type { RunNowReason, RunNowResult } from "./scheduler.ts";
import type { WebhookEvent } from "./webhook-verify.ts";

/**
 * What `webhooks register` subscribes: the refresh events the published contract lets a subscription
 * name. `account.remade`, `account.banned`, `bundle.cancelled` and `bundle.archived` are outside it
 * (docs/tokportal-api.md §13): they are taken when delivered, and the next tick catches them otherwise.
 */
export const SUBSCRIBED_EVENTS: readonly WebhookEventType[] = [
  "video.in_review",
  "video.pending_corrections",
  "video.finalized",
  "account.in_review",
  "account.pending_corrections",
  "account.finalized",
];

/**
 * Events that change what the sheet shows and that TokPortal's side causes. Left out: `*.created`,
 * `*.configured` and `*.published`, which follow the sync's own writes (each would start a second,
 * idle run after every run that writes), and `webhook.test`.
 */
export const REFRESH_EVENTS: readonly string[] = [
  ...SUBSCRIBED_EVENTS,
  "account.remade",
  "account.banned",
  "bundle.cancelled",
  "bundle.archived",
];

export const DEFAULT_DEBOUNCE_MS = 3_000;

export interface RefreshTarget {
  name: string;
  refPrefix: string;
  /** The index of the secret (subscription) whose events concern this campaign. */
  subscription: number;
}

export type MatchedBy = "ref_prefix" | "bundle_id" | "subscription";

export interface RefreshOptions {
  targets: readonly RefreshTarget[];
  runNow: (campaign: string, reason: RunNowReason) => { result: RunNowResult };
  logger: Logger;
  debounceMs?: number;
}

interface Window {
  timer: NodeJS.Timeout;
  events: number;
  types: Set<string>;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The bundle's external_ref an event carries: a video's is `bundle_external_ref` (its own is the video_ref). */
export function bundleRefOf(event: WebhookEvent): string | null {
  if (event.type.startsWith("video.")) return str(event.data.bundle_external_ref);
  return str(event.data.external_ref);
}

/**
 * The campaigns an event concerns, and how they were found (pure). A ref that no campaign's prefix starts
 * concerns none of them: the bundle belongs to something else on the same key.
 */
export function campaignsFor(
  event: WebhookEvent,
  subscription: number,
  targets: readonly RefreshTarget[],
  seen: ReadonlyMap<string, ReadonlySet<string>>,
): { campaigns: string[]; by: MatchedBy } {
  const mine = targets.filter((t) => t.subscription === subscription);
  const ref = bundleRefOf(event);
  if (ref !== null) {
    return {
      campaigns: mine.filter((t) => ref.startsWith(t.refPrefix)).map((t) => t.name),
      by: "ref_prefix",
    };
  }
  const bundleId = str(event.data.bundle_id);
  if (bundleId !== null) {
    const owners = mine.filter((t) => seen.get(t.name)?.has(bundleId)).map((t) => t.name);
    if (owners.length > 0) return { campaigns: owners, by: "bundle_id" };
  }
  return { campaigns: mine.map((t) => t.name), by: "subscription" };
}

export class WebhookRefresh {
  private readonly windows = new Map<string, Window>();
  /** Per campaign, the bundle ids its last finished run saw. */
  private readonly seen = new Map<string, Set<string>>();
  private readonly refresh: ReadonlySet<string> = new Set(REFRESH_EVENTS);
  private stopped = false;

  constructor(private readonly options: RefreshOptions) {}

  /** A run ended: remember the bundle ids it saw, for events that carry no ref. */
  saw(campaign: string, report: RunReport | null): void {
    if (!report || report.rows.length === 0) return;
    const ids = new Set<string>();
    for (const row of report.rows) {
      const id = row.values.bundle_id;
      if (typeof id === "string" && id !== "") ids.add(id);
    }
    this.seen.set(campaign, ids);
  }

  onEvent(event: WebhookEvent, subscription: number): void {
    const { logger } = this.options;
    if (this.stopped) return;
    if (!this.refresh.has(event.type)) {
      logger.info(
        { event: "webhook_ignored", eventId: event.id, type: event.type },
        "TokPortal webhook: nothing in the sheet depends on this event",
      );
      return;
    }
    const { campaigns, by } = campaignsFor(event, subscription, this.options.targets, this.seen);
    if (campaigns.length === 0) {
      logger.info(
        { event: "webhook_unmatched", eventId: event.id, type: event.type },
        "TokPortal webhook: the bundle is no campaign's of this service",
      );
      return;
    }
    logger.info(
      { event: "webhook_matched", eventId: event.id, type: event.type, campaigns, by },
      `TokPortal webhook: refresh ${campaigns.join(", ")}`,
    );
    for (const name of campaigns) this.schedule(name, event.type);
  }

  private schedule(campaign: string, type: string): void {
    const open = this.windows.get(campaign);
    if (open) {
      open.events += 1;
      open.types.add(type);
      return;
    }
    const window: Window = {
      events: 1,
      types: new Set([type]),
      timer: setTimeout(() => this.fire(campaign), this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS),
    };
    this.windows.set(campaign, window);
  }

  private fire(campaign: string): void {
    const window = this.windows.get(campaign);
    this.windows.delete(campaign);
    if (!window || this.stopped) return;
    const { result } = this.options.runNow(campaign, "webhook");
    this.options.logger.info(
      {
        event: "webhook_refresh",
        campaign,
        result,
        events: window.events,
        types: [...window.types],
      },
      `${campaign}: refresh after ${window.events} TokPortal event${window.events === 1 ? "" : "s"}: ${result}`,
    );
  }

  /** Drops the open windows: a stopping service starts no run. */
  stop(): void {
    this.stopped = true;
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
  }
}
