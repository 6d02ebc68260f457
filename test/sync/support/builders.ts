/**
 * Small factories of desired and actual states for planner tests: plain data, built by hand so each test
 * states exactly the sheet and the TokPortal it is about.
 */
import type { Bundle, BundleAccount, Video } from "../../../src/api/index.ts";
import { fingerprintOf } from "../../../src/sync/fingerprint.ts";
import type {
  ActualBundle,
  ActualState,
  DesiredBundle,
  DesiredState,
  DesiredVideo,
  PlanOptions,
  RowIssue,
  RowRef,
} from "../../../src/sync/types.ts";

export const TODAY = "2026-09-01";
export const PREFIX = "t-";
export const COSTS = { account_creation: 32, video_upload: 2, video_edit: 3, sound_volume: 1 };

export function bundleRow(ref: string, rowNumber: number): RowRef {
  return {
    id: `b:${ref}`,
    table: "bundles",
    rowNumbers: [rowNumber],
    key: { table: "bundles", bundleRef: ref },
  };
}

export function videoRow(bundleRef: string, videoRef: string, rowNumber: number): RowRef {
  return {
    id: `v:${bundleRef}/${videoRef}`,
    table: "videos",
    rowNumbers: [rowNumber],
    key: { table: "videos", bundleRef, videoRef },
  };
}

export interface VideoSpec {
  ref: string;
  row: number;
  date?: string;
  description?: string;
  position?: number;
  publish?: boolean;
  volume?: number;
  /** The stored sync_fingerprint: "same" = this row's own (synced before), or a literal. */
  stored?: "same" | string;
}

export function video(bundleRef: string, spec: VideoSpec): DesiredVideo {
  const body: DesiredVideo["body"] = {
    video_type: "video",
    description: spec.description ?? `Video ${spec.ref}`,
    target_publish_date: spec.date ?? "2026-09-10",
    video_url: `https://cdn.example.com/${spec.ref}.mp4`,
    external_ref: spec.ref,
  };
  if (spec.volume !== undefined) body.volume_original_sound = spec.volume;
  const publish = spec.publish ?? true;
  const fingerprint = fingerprintOf({ body, position: spec.position, publish });
  const stored = spec.stored === "same" ? fingerprint : (spec.stored ?? "");
  return {
    row: videoRow(bundleRef, spec.ref, spec.row),
    bundleRef,
    videoRef: spec.ref,
    ...(spec.position === undefined ? {} : { position: spec.position }),
    body,
    media: {},
    publish,
    soundVolumeUnits: spec.volume === undefined ? 0 : 1,
    fingerprint,
    outputs: stored === "" ? {} : { sync_fingerprint: stored },
  };
}

export interface BundleSpec {
  row?: number | null;
  type?: "account_and_videos" | "account_only" | "videos_only";
  platform?: "tiktok" | "instagram";
  country?: string;
  accountId?: string;
  title?: string;
  autoFinalize?: boolean;
  publish?: boolean;
  /** Profile: a full one by default; `null` for none. */
  account?: DesiredBundle["account"];
  profilePicture?: DesiredBundle["profilePicture"];
  minSlots?: number;
  edits?: number;
  stored?: "same" | string;
  videos?: VideoSpec[];
}

export const FULL_ACCOUNT = {
  username: "street.nyc",
  visible_name: "Street NYC",
  biography: "Daily street fashion",
  profile_picture_url: "https://cdn.example.com/pic.jpg",
};

export function bundle(ref: string, spec: BundleSpec = {}): DesiredBundle {
  const videos = (spec.videos ?? []).map((v) => video(ref, v));
  const rowNumber = spec.row === undefined ? 2 : spec.row;
  const type = spec.type ?? "account_and_videos";
  if (rowNumber === null) {
    return {
      row: null,
      bundleRef: ref,
      externalRef: PREFIX + ref,
      create: null,
      settings: {},
      account: null,
      publish: false,
      minSlots: 0,
      fingerprint: fingerprintOf({ none: ref }),
      outputs: {},
      videos,
    };
  }
  const slots = type === "account_only" ? 0 : Math.max(videos.length, spec.minSlots ?? 0);
  const create: DesiredBundle["create"] = {
    bundle_type: type,
    platform: spec.platform ?? "tiktok",
    external_ref: PREFIX + ref,
    videos_quantity: slots,
  };
  if (type === "videos_only") create.account_id = spec.accountId ?? "11111111-1111-4111-8111-111111111111";
  else create.country = spec.country ?? "USA";
  if (spec.title !== undefined) create.title = spec.title;
  if (spec.edits !== undefined) create.edits_quantity = spec.edits;
  const settings: DesiredBundle["settings"] = {};
  if (spec.title !== undefined) settings.title = spec.title;
  if (spec.autoFinalize !== undefined) settings.auto_finalize_videos = spec.autoFinalize;
  const account = type === "videos_only" ? null : spec.account === undefined ? FULL_ACCOUNT : spec.account;
  const publish = spec.publish ?? true;
  const fingerprint = fingerprintOf({ create, settings, account, publish, minSlots: spec.minSlots ?? 0 });
  const stored = spec.stored === "same" ? fingerprint : (spec.stored ?? "");
  return {
    row: bundleRow(ref, rowNumber),
    bundleRef: ref,
    externalRef: PREFIX + ref,
    create,
    settings,
    account,
    ...(spec.profilePicture ? { profilePicture: spec.profilePicture } : {}),
    publish,
    minSlots: spec.minSlots ?? 0,
    fingerprint,
    outputs: stored === "" ? {} : { sync_fingerprint: stored },
    videos,
  };
}

/**
 * A desired-state issue as a test states it: its message as given (the planner shows it as is), under a
 * stand-in code.
 */
export function sheetIssue(
  row: RowRef,
  status: RowIssue["status"],
  message: string,
  column?: string,
): RowIssue {
  return {
    row,
    status,
    ...(column === undefined ? {} : { column }),
    code: "value_refused",
    params: { field: column ?? "", said: message },
    message,
  };
}

export function desiredState(bundles: DesiredBundle[], issues: RowIssue[] = []): DesiredState {
  return {
    prefix: PREFIX,
    bundles: new Map(bundles.map((b) => [b.bundleRef, b])),
    issues,
    bundleRefsWithoutRow: bundles.filter((b) => b.row === null).map((b) => b.bundleRef),
  };
}

let ids = 0;
export function remoteBundle(ref: string, fields: Partial<Bundle> = {}): Bundle {
  ids += 1;
  return {
    id: `bundle-${ref}-${ids}`,
    external_ref: PREFIX + ref,
    status: "pending_setup",
    bundle_type: "account_and_videos",
    platform: "tiktok",
    country: "USA",
    title: null,
    videos_quantity: 0,
    auto_finalize_videos: true,
    account_status: "pending",
    saved_account_id: null,
    ...fields,
  } as Bundle;
}

export function slot(position: number, fields: Partial<Video> & Record<string, unknown> = {}): Video {
  return { id: `video-${position}`, position, status: "pending", external_ref: null, ...fields } as Video;
}

/** The slot a synced row leaves on TokPortal (same description, date, type and ref). */
export function slotOf(v: DesiredVideo, position: number, status = "configured"): Video {
  return slot(position, {
    status,
    external_ref: v.videoRef,
    video_type: v.body.video_type,
    description: v.body.description,
    target_publish_date: v.body.target_publish_date,
    id: `video-${v.videoRef}`,
  });
}

export function account(fields: Partial<BundleAccount> = {}): BundleAccount {
  return {
    status: "configured",
    username: FULL_ACCOUNT.username,
    visible_name: FULL_ACCOUNT.visible_name,
    biography: FULL_ACCOUNT.biography,
    profile_picture_url: FULL_ACCOUNT.profile_picture_url,
    ...fields,
  } as BundleAccount;
}

export function actualState(
  entries: Array<{ bundle: Bundle; videos?: Video[] | null; account?: BundleAccount | null }>,
  extra: Partial<ActualState> = {},
): ActualState {
  const byExternalRef = new Map<string, ActualBundle[]>();
  for (const e of entries) {
    const ref = e.bundle.external_ref ?? "";
    const list = byExternalRef.get(ref) ?? [];
    list.push({
      bundle: e.bundle,
      videos: e.videos === undefined ? [] : e.videos,
      account: e.account ?? null,
    });
    byExternalRef.set(ref, list);
  }
  return { byExternalRef, orphanBundles: [], today: TODAY, ...extra };
}

export function planOptions(fields: Partial<PlanOptions> = {}): PlanOptions {
  return {
    prune: false,
    costs: COSTS,
    balance: null,
    maxCredits: null,
    now: "2026-09-01T12:00:00.000Z",
    ...fields,
  };
}
