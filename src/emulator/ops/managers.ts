/**
 * The simulated account managers: what TokPortal's people do with published work, driven by the emulator's
 * simulated clock (docs/tokportal-api.md §7). The core calls `runManagers` before every request and on
 * `POST /__emulator/advance`; each call applies, in time order, every transition whose time has come:
 *
 *   bundle published ──acceptAfterSeconds──► accepted
 *     └─ account published → in_review (delivered: a SavedAccount, saved_account_id) ──72 h──► finalized
 *     └─ videos published → accepted (at once if the bundle already is)
 *   video accepted ──target day + postAtHourUtc──► in_review with a platform_url
 *     └─ unless its media could not be downloaded (download_issue): it waits for fix-download
 *     └─ finalized at once (auto_finalize_videos) or 72 h later
 *   video / account pending_corrections ──24 h──► in_review again (the manager fixes and resubmits)
 *   bundle accepted, every slot finalized/pending/cancelled, account finalized ──► completed
 *
 * Transitions are stamped with the time they were due, not with "now", so a big clock jump yields the
 * same history as many small ones. State decides everything: running twice at the same time is a no-op.
 * Each bundle's next due time is kept in an index (due-index.ts), so a run costs what changed, not the
 * number of bundles.
 */
import { createHash } from "node:crypto";
import type { EmulatorRules, ManagerEnv } from "../context.ts";
import type { Bundle, SavedAccount, VideoSlot } from "../model.ts";
import { dueIndexOf } from "./due-index.ts";
import { METRICS_SALT_COUNTER } from "./metrics.ts";
import { UNREACHABLE_MARK } from "./video-config.ts";

const HOUR_MS = 3_600_000;
/** How long a manager takes to re-post a video after corrections were requested. */
export const CORRECTION_TURNAROUND_HOURS = 24;

interface QueuedEvent {
  at: number;
  seq: number;
  workspaceId: string;
  type: string;
  data: Record<string, unknown>;
}

type Emit = (at: number, type: string, data: Record<string, unknown>) => void;

/** What a bundle waits for next; a video step names its slot. */
type Step = "accept" | "account_finalize" | "account_redeliver" | "complete" | VideoSlot;

export function runManagers(env: ManagerEnv): void {
  const counters = env.state.counters;
  // The analytics salt comes from the seed once, then lives in state (see metrics.ts).
  if (counters[METRICS_SALT_COUNTER] === undefined)
    counters[METRICS_SALT_COUNTER] = Math.floor(env.random() * 2 ** 31);
  const now = env.clock.now();
  // Only the bundles that changed or fell due are looked at (due-index.ts); they are advanced in creation
  // order, as a walk over every bundle would, so ids and the order of events stay the same.
  const index = dueIndexOf(env.state, JSON.stringify(env.rules.managers));
  for (const id of index.takeChanged()) index.set(id, dueTime(env.state.bundles[id], env));
  const queued: QueuedEvent[] = [];
  for (const id of index.takeDue(now)) {
    const bundle = env.state.bundles[id];
    if (bundle && isActive(bundle)) advanceBundle(bundle, now, env, queued);
    index.set(id, dueTime(bundle, env));
  }
  // Bundles are simulated one by one; their events go out merged in the order things happened.
  queued.sort((a, b) => a.at - b.at || a.seq - b.seq);
  for (const e of queued) env.events.emit(e.workspaceId, e.type, e.data);
}

function isActive(bundle: Bundle): boolean {
  const s = bundle.status;
  return !(s === "pending_setup" || s === "cancelled" || s === "archived" || s === "completed");
}

/** When the bundle's next step is due; +∞ when it waits for the client or is gone. */
function dueTime(bundle: Bundle | undefined, env: ManagerEnv): number {
  if (!bundle || !isActive(bundle)) return Number.POSITIVE_INFINITY;
  return nextStep(bundle, env)?.at ?? Number.POSITIVE_INFINITY;
}

function advanceBundle(bundle: Bundle, now: number, env: ManagerEnv, queued: QueuedEvent[]): void {
  // Closures cost a property definition each under tsx (keepNames), and this runs for every bundle before
  // every request: the emitter is made only once there is something to apply.
  let emit: Emit | undefined;
  // Every step moves a status forward, so the loop ends; the bound only guards against a bug.
  for (let guard = 0; guard < 10_000; guard++) {
    const next = nextStep(bundle, env);
    if (!next || next.at > now) return;
    emit ??= (at, type, data) =>
      queued.push({ at, seq: queued.length, workspaceId: bundle.workspaceId, type, data });
    applyStep(bundle, next.step, next.at, env, emit);
  }
}

/**
 * The earliest step this bundle waits for, or null when it waits for the client. It runs for each bundle
 * that changed or fell due, so it allocates nothing per video and parses each timestamp once.
 */
function nextStep(bundle: Bundle, env: ManagerEnv): { at: number; step: Step } | null {
  const { managers } = env.rules;
  let at = Number.POSITIVE_INFINITY;
  let step: Step | null = null;
  if ((bundle.status === "published" || bundle.status === "published_priority") && bundle.published_at) {
    at = ms(bundle.published_at) + managers.acceptAfterSeconds * 1000;
    step = "accept";
  }
  const account = bundle.account;
  if (account?.status === "in_review" && account.in_review_at) {
    const t = ms(account.in_review_at) + managers.autoFinalizeAfterHours * HOUR_MS;
    if (t < at) {
      at = t;
      step = "account_finalize";
    }
  } else if (account?.status === "pending_corrections") {
    // The handler may not stamp the request; its updated_at stamp on the bundle is the best record of it.
    account.correction_requested_at ??= bundle.updated_at;
    const t = ms(account.correction_requested_at) + CORRECTION_TURNAROUND_HOURS * HOUR_MS;
    if (t < at) {
      at = t;
      step = "account_redeliver";
    }
  }
  if (bundle.status === "accepted" && bundle.accepted_at) {
    const acceptedAt = ms(bundle.accepted_at);
    for (const video of bundle.videos) {
      const t = videoDue(bundle, video, acceptedAt, env.rules);
      if (t < at) {
        at = t;
        step = video;
      }
    }
    const done = completionTime(bundle, acceptedAt);
    if (done !== null && done < at) {
      at = done;
      step = "complete";
    }
  }
  return step === null ? null : { at, step };
}

/** When a slot's next manager step is due (+∞ when it waits for the client). */
function videoDue(bundle: Bundle, video: VideoSlot, acceptedAt: number, rules: EmulatorRules): number {
  switch (video.status) {
    case "published":
      return Math.max(acceptedAt, video.published_at ? ms(video.published_at) : acceptedAt);
    case "accepted": {
      if (video.download_issue) return Number.POSITIVE_INFINITY;
      const accepted = video.accepted_at ? ms(video.accepted_at) : acceptedAt;
      const target = video.target_publish_date ?? video.target_publish_start_date;
      // A date-only string parses as midnight UTC.
      const postAt = target ? ms(target) + rules.managers.postAtHourUtc * HOUR_MS : accepted;
      return Number.isNaN(postAt) ? accepted : Math.max(accepted, postAt);
    }
    case "in_review": {
      const since = video.in_review_at ? ms(video.in_review_at) : acceptedAt;
      return bundle.auto_finalize_videos ? since : since + rules.managers.autoFinalizeAfterHours * HOUR_MS;
    }
    case "pending_corrections":
      return video.correction_requested_at
        ? ms(video.correction_requested_at) + CORRECTION_TURNAROUND_HOURS * HOUR_MS
        : Number.POSITIVE_INFINITY;
    default:
      return Number.POSITIVE_INFINITY;
  }
}

function applyStep(bundle: Bundle, step: Step, at: number, env: ManagerEnv, emit: Emit): void {
  const iso = new Date(at).toISOString();
  const account = bundle.account;
  if (step === "accept") {
    acceptBundle(bundle, at, env, emit);
  } else if (step === "account_finalize" && account) {
    account.status = "finalized";
    account.finalized_at = iso;
    bundle.updated_at = iso;
    emit(at, "account.finalized", accountEvent(bundle, "finalized", "in_review"));
  } else if (step === "account_redeliver" && account) {
    account.status = "in_review";
    account.in_review_at = iso;
    account.correction_requested_at = null;
    bundle.updated_at = iso;
    emit(at, "account.in_review", accountEvent(bundle, "in_review", "pending_corrections"));
  } else if (step === "complete") {
    bundle.status = "completed";
    bundle.completed_at = iso;
    bundle.updated_at = iso;
  } else if (typeof step === "object") {
    applyVideoStep(bundle, step, at, iso, env, emit);
  }
}

function applyVideoStep(
  bundle: Bundle,
  video: VideoSlot,
  at: number,
  iso: string,
  env: ManagerEnv,
  emit: Emit,
) {
  const previous = video.status;
  video.updated_at = iso;
  switch (previous) {
    case "published":
      video.status = "accepted";
      video.accepted_at = iso;
      flagDownload(video, env);
      return;
    case "accepted":
      video.status = "in_review";
      video.in_review_at = iso;
      video.posted_at = iso;
      video.platform_url = platformUrl(bundle, video, env);
      emit(at, "video.in_review", videoEvent(bundle, video, previous));
      return;
    case "in_review":
      video.status = "finalized";
      video.finalized_at = iso;
      emit(at, "video.finalized", videoEvent(bundle, video, previous));
      return;
    case "pending_corrections":
      video.status = "in_review";
      video.in_review_at = iso;
      video.platform_url ??= platformUrl(bundle, video, env);
      video.posted_at ??= iso;
      emit(at, "video.in_review", videoEvent(bundle, video, previous));
      return;
    default:
      return;
  }
}

/** The manager takes the video and fetches its media: unreachable media, or a seeded share, fail. */
function flagDownload(video: VideoSlot, env: ManagerEnv): void {
  const share = env.rules.managers.downloadIssueShare ?? 0;
  const salt = env.state.counters[METRICS_SALT_COUNTER] ?? 0;
  const unreachable = (video.video_url ?? "").includes(`/${UNREACHABLE_MARK}`);
  const drawn = share > 0 && Number(digits(`download:${salt}:${video.id}`, 6)) / 1e6 < share;
  if (!unreachable && !drawn) return;
  video.download_issue = true;
  video.download_issue_comment = unreachable
    ? "The video link could not be opened (not found or private). Send a new link."
    : "The video file could not be downloaded (the transfer stopped). Send a new link.";
}

/** Timestamps repeat across slots and across runs: parse each distinct string once. */
const parsed = new Map<string, number>();
function ms(iso: string): number {
  let value = parsed.get(iso);
  if (value === undefined) {
    value = Date.parse(iso);
    if (parsed.size >= 100_000) parsed.clear();
    parsed.set(iso, value);
  }
  return value;
}

function acceptBundle(bundle: Bundle, at: number, env: ManagerEnv, emit: Emit): void {
  const iso = new Date(at).toISOString();
  bundle.status = "accepted";
  bundle.accepted_at = iso;
  bundle.updated_at = iso;
  const account = bundle.account;
  if (account?.status === "published") {
    const saved = deliverAccount(bundle, at, env);
    account.status = "in_review";
    account.in_review_at = iso;
    if (!account.username) account.username = saved.username;
    emit(at, "account.in_review", accountEvent(bundle, "in_review", "published"));
  }
}

/** The manager created the account on the platform: it becomes a saved (delivered) account. */
function deliverAccount(bundle: Bundle, at: number, env: ManagerEnv): SavedAccount {
  const existing = bundle.saved_account_id ? env.state.savedAccounts[bundle.saved_account_id] : undefined;
  if (existing) return existing;
  const saved: SavedAccount = {
    id: env.newId(),
    workspaceId: bundle.workspaceId,
    platform: bundle.platform,
    country: bundle.country,
    username: bundle.account?.username ?? `user${digits(`username:${bundle.id}`, 10)}`,
    bundle_id: bundle.id,
    status: "active",
    created_at: new Date(at).toISOString(),
  };
  env.state.savedAccounts[saved.id] = saved;
  bundle.saved_account_id = saved.id;
  return saved;
}

/** When an accepted bundle is done: all slots finalized, empty or cancelled and the account finalized. */
function completionTime(bundle: Bundle, acceptedAt: number): number | null {
  let at = acceptedAt;
  if (bundle.account) {
    if (bundle.account.status !== "finalized") return null;
    if (bundle.account.finalized_at) at = Math.max(at, ms(bundle.account.finalized_at));
  }
  for (const v of bundle.videos) {
    if (v.status === "finalized") {
      if (v.finalized_at) at = Math.max(at, ms(v.finalized_at));
    } else if (v.status !== "pending" && v.status !== "cancelled") {
      return null;
    }
  }
  return at;
}

function usernameOf(bundle: Bundle, env: ManagerEnv): string {
  const saved = bundle.saved_account_id ?? bundle.account_id;
  const fromSaved = saved ? env.state.savedAccounts[saved]?.username : undefined;
  return bundle.account?.username ?? fromSaved ?? `user${digits(`username:${bundle.id}`, 10)}`;
}

/** A deterministic, platform-shaped URL of the posted video. */
function platformUrl(bundle: Bundle, video: VideoSlot, env: ManagerEnv): string {
  if (bundle.platform === "instagram") {
    const code = createHash("sha256").update(`post:${video.id}`).digest("base64url").slice(0, 11);
    return `https://www.instagram.com/${video.instagram_content_type === "post" ? "p" : "reel"}/${code}/`;
  }
  return `https://www.tiktok.com/@${usernameOf(bundle, env)}/video/7${digits(`post:${video.id}`, 18)}`;
}

/** `n` decimal digits from a hash of the key. */
function digits(key: string, n: number): string {
  const hex = createHash("sha256").update(key).digest("hex");
  return (BigInt(`0x${hex}`) % 10n ** BigInt(n)).toString().padStart(n, "0");
}

function accountEvent(bundle: Bundle, status: string, previous: string): Record<string, unknown> {
  return {
    bundle_id: bundle.id,
    // The account listing's id is stable across remakes (saved_account_id is not); the bundle id plays it.
    account_id: bundle.id,
    saved_account_id: bundle.saved_account_id,
    username: bundle.account?.username ?? null,
    platform: bundle.platform,
    status,
    previous_status: previous,
    external_ref: bundle.external_ref,
  };
}

function videoEvent(bundle: Bundle, video: VideoSlot, previous: string): Record<string, unknown> {
  return {
    video_id: video.id,
    bundle_id: bundle.id,
    position: video.position,
    status: video.status,
    previous_status: previous,
    platform_url: video.platform_url,
    external_ref: video.external_ref,
    bundle_external_ref: bundle.external_ref,
  };
}
