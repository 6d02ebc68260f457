/**
 * The sync engine's data, from rows to results (docs/architecture.md):
 *
 *   TypedCampaign ─► desired (DesiredState) ─┐
 *                                            ├─► planSync ─► Plan ─► applyPlan ─► RowResult[] ─► write-back
 *   TokPortal ─► fetchActual (ActualState) ──┘
 *
 * Every stage is a plain value, so each can be tested alone, printed and (for the plan) saved as JSON.
 * Refs: `bundleRef` is the sheet's `bundle_ref`; the bundle's `external_ref` on TokPortal is
 * `ref_prefix + bundleRef`. A video's `external_ref` is its `video_ref`, unique within its bundle.
 */
import type {
  BatchVideoItem,
  Bundle,
  BundleAccount,
  ConfigureAccountBody,
  CreateBundleBody,
  FixDownloadBody,
  PatchBundleBody,
  PatchVideoBody,
  Video,
} from "../api/index.ts";
import type { ParamValue } from "../findings/entry.ts";
import type { Finding, FindingCode, ReasonCode } from "../findings/index.ts";
import type { RowKey, TableName } from "../sources/types.ts";

export type SyncStatus = "synced" | "pending" | "locked" | "error" | "skipped";

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Rows

/**
 * One sheet row the engine answers for. `id` is stable across runs and unique in a run:
 * `b:<bundle_ref>` for a bundles row, `v:<bundle_ref>/<video_ref>` for a videos row, and
 * `row:<table>:<rowNumber>` for a row without usable refs (it can only be an error).
 */
export interface RowRef {
  id: string;
  table: TableName;
  /** Row number as the user sees it (header = 1). A single-table bundle lists its videos rows. */
  rowNumbers: number[];
  /** Where its results are written (located again by ref right before writing). */
  key: RowKey;
}

/** A row that cannot be synced as written: shown next to it, with no call made for it. */
export interface RowIssue {
  row: RowRef;
  status: "error" | "skipped" | "locked" | "pending";
  /** Canonical column at fault, when one is. */
  column?: string;
  /** What was found (src/findings/catalogue.ts), and its values. */
  code: FindingCode;
  params: Finding["params"];
  /** The finding in words: names the row and the column, says what is wrong and how to fix it. */
  message: string;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Desired state (src/sync/desired.ts): what the sheet asks for, validated

/**
 * A media cell: a URL (sent as is), a TokPortal storage path (sent as is; images only), or a local file
 * (uploaded during apply, then replaced by the upload's `public_url` or `storage_path`).
 */
export type MediaValue =
  | { kind: "url"; value: string }
  | { kind: "storage"; value: string }
  /** `sizeBytes` and `mtimeMs` as read from the file: a file replaced at the same path changes them. */
  | { kind: "file"; path: string; sizeBytes: number; mtimeMs: number };

/**
 * A `review` (or `account_review`) verdict on work TokPortal submitted: approve, or ask for changes with a
 * note and the fields it concerns. `marker` is the digest (`c:…`) stored in `review_marker` once the
 * correction is sent, so the same note is never sent twice.
 */
export interface ReviewRequest {
  action: "approve" | "changes";
  /** The comment of a `changes` verdict (required then; null for approve). */
  note: string | null;
  /** The fields the correction names, as TokPortal's `fields` keys. */
  fields: string[];
  marker: string;
}

export interface DesiredVideo {
  row: RowRef;
  bundleRef: string;
  videoRef: string;
  /** From the `position` column; absent = any free slot. */
  position?: number;
  /**
   * The configure fields as sent (ConfigureVideoRequest minus `auto_publish`, no `position`), with
   * `external_ref` = videoRef. Media fields hold the cell text; `media` says which are local files.
   */
  body: Omit<BatchVideoItem, "position">;
  /** Media fields that need an upload first: field → value (carousel: one per image, in order). */
  media: { video_url?: MediaValue; carousel_images?: MediaValue[]; story_image_url?: MediaValue };
  /** Release to the manager once configured (row `publish`, else config default). */
  publish: boolean;
  /** The row's `review` columns, when `review` is filled. */
  review?: ReviewRequest;
  /** The row's own `publish` cell says `no` (not a default): a released video is pulled back. */
  pullBack?: boolean;
  /** 1 when a volume field is set (TokPortal charges `sound_volume` the first time a slot gets one), else 0. */
  soundVolumeUnits: number;
  /** Hash of the mapped fields (what `sync_fingerprint` stores). */
  fingerprint: string;
  /** The row's outputs as read (text), e.g. the stored `sync_fingerprint`, `video_id`, `position`. */
  outputs: Record<string, string>;
}

export interface DesiredBundle {
  /** Null when the bundle has no row: videos name a bundle_ref that only exists on TokPortal. */
  row: RowRef | null;
  bundleRef: string;
  externalRef: string;
  /** Null when the bundle has no row (it is never created, only looked up). */
  create: CreateBundleBody | null;
  /** Patchable later: title, auto_finalize_videos (PatchBundleRequest fields). */
  settings: { title?: string; auto_finalize_videos?: boolean };
  /** Null for videos_only bundles and bundles without a row, or when no profile column is filled. */
  account: ConfigureAccountBody | null;
  /** profile_picture: a URL or storage path goes in `account.profile_picture_url`; a file is uploaded. */
  profilePicture?: MediaValue;
  publish: boolean;
  /** The row's `account_review` columns, when `account_review` is filled. */
  accountReview?: ReviewRequest;
  /** The row's own `publish` cell says `no` (not a default): a published bundle is pulled back. */
  pullBack?: boolean;
  /** Minimum slots (`video_slots`); the planner adds what the videos need. */
  minSlots: number;
  /**
   * Why TokPortal would refuse to create this bundle, known from the sheet alone (no video slot to order).
   * The planner reports it only for a new bundle: one TokPortal already has is never created.
   */
  createRefused?: Finding;
  /**
   * A follow-up order: the bundle_ref of the bundles row whose delivered account this videos_only bundle
   * posts from (`create.account_id` is left out; the planner fills it in once TokPortal has delivered it).
   */
  accountRef?: string;
  fingerprint: string;
  outputs: Record<string, string>;
  /** Valid videos rows of this bundle, in sheet order. */
  videos: DesiredVideo[];
}

export interface DesiredState {
  prefix: string;
  /** By bundleRef, in sheet order (Map keeps insertion order). */
  bundles: Map<string, DesiredBundle>;
  /** Rows already known to be unsyncable (bad cells, missing fields, duplicates, blocked by their bundle). */
  issues: RowIssue[];
  /** Video rows whose bundle_ref has no bundles row; an error unless TokPortal has that bundle. */
  bundleRefsWithoutRow: string[];
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Actual state (src/sync/remote.ts): what TokPortal has, for the bundles in play

export interface ActualBundle {
  bundle: Bundle;
  /** Every slot, by position order. Null when not fetched (the bundle is not in play). */
  videos: Video[] | null;
  /** Fetched only when the bundles row changed and fills a profile column (not for videos_only). */
  account: BundleAccount | null;
  /**
   * The delivered account's username and profile URL, read only when the bundles row does not show them
   * yet (remote-accounts.ts); absent otherwise.
   */
  delivered?: DeliveredAccount;
  /**
   * Why its slots or account could not be read (retries exhausted): its rows are errors this run and
   * nothing is planned for it, while the other bundles go on.
   */
  readError?: string;
}

export interface ActualState {
  /** external_ref → every remote bundle carrying it (more than one is an error for the row). */
  byExternalRef: Map<string, ActualBundle[]>;
  /** Remote bundles under the prefix whose ref the sheet does not have (reported, never touched). */
  orphanBundles: Bundle[];
  /** TokPortal's today (UTC, `YYYY-MM-DD`), from the server's clock: lead time is counted from it. */
  today: string;
  /**
   * `/countries`' `videos_only_countries` (TokPortal's codes): read only when the plan may order a new
   * account; absent when not read.
   */
  videosOnlyCountries?: readonly string[];
}

/** A delivered account as `GET /accounts/{id}` tells it (either may be unknown). */
export interface DeliveredAccount {
  username: string | null;
  url: string | null;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Plan (src/sync/plan.ts): pure function of desired × actual

export type OpKind =
  | "createBundle"
  | "addVideoSlots"
  | "addEditSlots"
  | "patchBundle"
  | "configureAccount"
  | "configureVideos"
  | "patchVideo"
  | "publishBundle"
  | "publishVideos"
  | "unscheduleVideo"
  // Reviews, download fixes and pull backs.
  | "finalizeVideo"
  | "requestVideoCorrections"
  | "finalizeAccount"
  | "requestAccountCorrections"
  | "fixDownload"
  | "unpublishBundle";

interface OpBase {
  /** Unique in the plan, stable: `<bundleRef>:<kind>[:<n>]`. */
  id: string;
  bundleRef: string;
  /** The remote bundle; null when this plan's createBundle makes it. */
  bundleId: string | null;
  /** RowRef ids this op serves (their outcome depends on it). */
  rows: string[];
  /** Why, in words: "new bundle", "row changed: description", "2 more slots for rows 7, 9". */
  reason: string;
  /** The code `reason` is made from (src/findings/reasons.ts), and its parameters; absent in older plan files. */
  reasonCode?: ReasonCode;
  reasonParams?: Readonly<Record<string, ParamValue>>;
  /** Credits this op charges (0 for most). */
  cost: number;
}

export interface ConfigureVideoItem {
  rowId: string;
  videoRef: string;
  /** The slot: sent as the batch item's `position` (`sentItem` in src/sync/configure-entry.ts). */
  position: number;
  /**
   * The batch item without its position, media fields still holding the cell text when `media` lists them:
   * the row's desired body itself in a plan made in this run. In JSON, `item` also carries `position`.
   */
  item: Omit<BatchVideoItem, "position">;
  media: DesiredVideo["media"];
}

export type PlanOp =
  | (OpBase & { kind: "createBundle"; body: CreateBundleBody })
  | (OpBase & { kind: "addVideoSlots"; quantity: number })
  | (OpBase & { kind: "addEditSlots"; quantity: number })
  | (OpBase & { kind: "patchBundle"; body: PatchBundleBody })
  | (OpBase & { kind: "configureAccount"; body: ConfigureAccountBody; profilePicture?: MediaValue })
  /** ≤ 500 items per op (the batch limit); one op per bundle unless more are needed. */
  | (OpBase & { kind: "configureVideos"; items: ConfigureVideoItem[] })
  | (OpBase & { kind: "patchVideo"; position: number; body: PatchVideoBody })
  | (OpBase & { kind: "publishBundle" })
  /** `all`: one publish-all (every configured slot of the bundle should go); else one call per position. */
  | (OpBase & { kind: "publishVideos"; positions: number[]; all: boolean })
  | (OpBase & { kind: "unscheduleVideo"; position: number })
  | (OpBase & { kind: "finalizeVideo"; position: number })
  /** `marker` is the `review_marker` part (`c:…`) the row keeps once the request is sent. */
  | (OpBase & {
      kind: "requestVideoCorrections";
      position: number;
      comment: string;
      fields: Record<string, boolean>;
      marker: string;
    })
  | (OpBase & { kind: "finalizeAccount" })
  | (OpBase & {
      kind: "requestAccountCorrections";
      comment: string;
      fields: Record<string, boolean>;
      marker: string;
    })
  /** The row's new media for a slot TokPortal could not download; TokPortal moves its date to tomorrow. */
  | (OpBase & { kind: "fixDownload"; position: number; media: DesiredVideo["media"]; body: FixDownloadBody })
  /** Destructive like a pull-back unschedule: nothing is refunded (docs/tokportal-api.md §8). */
  | (OpBase & { kind: "unpublishBundle" });

/** What the planner knows a row will show once its ops succeed. */
export interface PlannedRow {
  row: RowRef;
  /** The row's outcome if every op serving it succeeds; an issue's status when it has one. */
  outcome: SyncStatus;
  /** Empty when synced with nothing to say. */
  message: string;
  /** The finding code the message starts with (src/findings/); absent when there is no message. */
  code?: FindingCode;
  /** The column that finding names, when it names one. */
  column?: string;
  /** Written to `sync_fingerprint` once synced; null for rows that are not synced. */
  fingerprint: string | null;
  /** Known remote values (output column → value), e.g. bundle_id, bundle_status, video_id, position. */
  remote: Record<string, string | number | null>;
  /** Ids of the ops serving this row (empty = nothing to do for it); rows served alike share one list. */
  ops: readonly string[];
}

export interface PlanTotals {
  /** Credits the plan charges if applied in full. */
  cost: number;
  /** Bundles left out because the budget or the balance cannot pay for them, and what they would cost. */
  deferred: { bundles: string[]; cost: number };
  /** Balance when planned (null when no charged op needed it). */
  balance: number | null;
  /** `max_credits` in force (null = no budget). */
  maxCredits: number | null;
  /** Ops by kind. */
  ops: Partial<Record<OpKind, number>>;
  /** Rows by planned outcome. */
  rows: Record<SyncStatus, number>;
}

export interface Plan {
  version: 1;
  createdAt: string;
  prefix: string;
  prune: boolean;
  /**
   * Hash of what the plan was computed from (desired rows, the remote state of the bundles in play, the
   * options). A saved plan is applied only if a fresh read gives the same hash.
   */
  inputsFingerprint: string;
  /** In apply order: by bundle (sheet order), then wave. */
  ops: PlanOp[];
  rows: PlannedRow[];
  /** Remote refs under the prefix the sheet no longer has (bundles, and `bundle_ref/video_ref` slots). */
  orphans: { bundles: string[]; videos: string[] };
  totals: PlanTotals;
}

export interface PlanOptions {
  /** `unscheduleVideo` for orphan slots that can still be unscheduled (never bundles). */
  prune: boolean;
  /** Credit prices (`/credit-costs` `costs`); may be empty when the plan charges nothing. */
  costs: Record<string, number>;
  balance: number | null;
  maxCredits: number | null;
  /** ISO time stamped on the plan. */
  now: string;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Results (src/sync/apply.ts)

export interface RowResult {
  row: RowRef;
  outcome: SyncStatus;
  message: string;
  /** The finding code the message starts with (src/findings/); absent when there is no message. */
  code?: FindingCode;
  /** The column that finding names, when it names one. */
  column?: string;
  /** Output column → value to show (remote ids, statuses, position, credits_charged, sync_fingerprint). */
  values: Record<string, string | number | null>;
  /** A write of this run changed the row's remote state (so `synced_at` moves). */
  changed: boolean;
  /** Credits charged by this run for this row (bundle rows). */
  creditsCharged: number;
}

export interface ApplyReport {
  rows: RowResult[];
  /** Credits actually charged by this run (sum of `credits_charged` answers, replays excluded). */
  creditsCharged: number;
  /** Ops by id → what happened. */
  ops: Record<string, { status: "done" | "failed" | "skipped"; message?: string; replayed?: boolean }>;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Options shared by the stages, and the run (src/sync/run.ts)

/** The config's `defaults`: used where a row leaves the cell blank. */
export interface RowDefaults {
  platform: "tiktok" | "instagram";
  bundle_type: "account_and_videos" | "account_only" | "videos_only";
  /** Bundles and videos: publish once ready / release once configured. */
  publish: boolean;
}

export interface DesiredOptions {
  prefix: string;
  defaults: RowDefaults;
  /** Local media paths in cells are resolved against this directory (the sheet's, or the config's). */
  baseDir: string;
}

/** What one run did (the `--json` document of `sync`, and what the summary is printed from). */
/** Which run it was: plan only, plan and apply, or the analytics read-back alone. */
export type RunMode = "plan" | "apply" | "analytics";

/**
 * What a run did, by mode: `plan` and `apply` carry their plan (and `apply` its apply report); an
 * `analytics` run planned nothing, so it has neither.
 */
export type RunReport = PlanRunReport | ApplyRunReport | AnalyticsRunReport;

/** The report of a run in mode `M`. */
export type RunReportOf<M extends RunMode> = Extract<RunReport, { mode: M }>;

/** A plan-mode run: read and planned, wrote nothing anywhere. */
export interface PlanRunReport extends RunReportBase {
  mode: "plan";
  plan: Plan;
  /** Nothing was applied. */
  apply: null;
}

/** A sync: the plan that ran and what its apply did. */
export interface ApplyRunReport extends RunReportBase {
  mode: "apply";
  plan: Plan;
  apply: ApplyReport;
}

/** Only the analytics columns of rows that already have a video were refreshed: nothing was planned. */
export interface AnalyticsRunReport extends RunReportBase {
  mode: "analytics";
}

/** What every run reports, whatever its mode. */
export interface RunReportBase {
  mode: RunMode;
  source: string;
  startedAt: string;
  durationMs: number;
  /** Final outcome of every row (the plan's when nothing was applied; none in `analytics` mode). */
  rows: RowResult[];
  counts: Record<SyncStatus, number>;
  creditsCharged: number;
  /** TokPortal calls by operationId, retries not counted; and the 429s received. */
  calls: Record<string, number>;
  rateLimited: number;
  /** Sheet write-back: cells written, requests sent, rows that could not be found any more. */
  write: { cellsWritten: number; requests: number; rowsNotFound: number } | null;
  /**
   * What the user should see that is not one row's: non-fatal source problems, orphan bundles and videos
   * under the prefix, rows the write-back could not find, analytics that could not be read.
   */
  warnings: string[];
  /**
   * The analytics read-back of this run: where the numbers came from, the calls it made, and why numbers
   * are missing when some are. Null when analytics were off or the run did not get that far (plan mode).
   */
  analytics: AnalyticsSummary | null;
}

export interface AnalyticsSummary {
  /**
   * `export`: the one CSV export call; `account_videos` / `video`: the plan tier refused the export and
   * the per-account lists / per-video endpoint were read instead; `none`: nothing measured (see `note`).
   */
  source: "export" | "account_videos" | "video" | "none";
  /** TokPortal calls the read-back made. */
  calls: number;
  /** Why numbers are missing or partial, in words; absent when every target got its numbers. */
  note?: string;
}
