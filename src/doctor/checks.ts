/**
 * The doctor's checks as data: each has a stable code (scripts and tests use it), a result, and findings
 * with codes of their own. Words for people are made from these codes in one place (words.ts).
 */

import type { CredentialsInfo } from "../sources/google-credentials.ts";

/** In the order they run and are shown. */
export const CHECKS = [
  { code: "key", title: "API key" },
  { code: "headers.rate_limit", title: "rate-limit headers" },
  { code: "headers.date", title: "Date header" },
  { code: "read.me", title: "GET /me" },
  { code: "read.balance", title: "credit balance" },
  { code: "read.credit_costs", title: "credit costs" },
  { code: "read.countries", title: "countries" },
  { code: "read.bundles", title: "bundle list" },
  { code: "read.videos", title: "a bundle's videos" },
  { code: "read.account", title: "a bundle's account" },
  { code: "read.analytics_export", title: "analytics export" },
  { code: "write.patch_bundle", title: "edit bundle" },
  { code: "write.create_bundle", title: "create bundle" },
  { code: "write.add_video_slots", title: "add video slots" },
  { code: "write.add_edit_slots", title: "add edit slots" },
  { code: "write.configure_account", title: "configure account" },
  { code: "write.configure_videos", title: "batch-configure videos" },
  { code: "write.patch_video", title: "edit video" },
  { code: "write.publish_bundle", title: "publish bundle" },
  { code: "write.publish_video", title: "publish video" },
  { code: "write.publish_all", title: "publish all videos" },
  { code: "write.upload_video", title: "upload video file" },
  { code: "write.upload_image", title: "upload image file" },
  { code: "write.upload_presigned", title: "presigned upload" },
  { code: "write.upload_from_url", title: "image from URL" },
  { code: "write.unschedule", title: "unschedule video" },
] as const;

/** With a Google Sheets source only, before TokPortal's: the credentials, whom they stand for, the sheet. */
export const GOOGLE_CHECKS = [
  { code: "google.credentials", title: "Google credentials" },
  { code: "google.identity", title: "Google identity" },
  { code: "google.spreadsheet", title: "spreadsheet" },
] as const;

export type CheckCode = (typeof CHECKS)[number]["code"] | (typeof GOOGLE_CHECKS)[number]["code"];

/**
 * - `ok`: the answer has everything the sync relies on.
 * - `differs`: something differs that the sync works around, doing less (exit 1).
 * - `unreadable`: the sync cannot read the answer; the steps that need it fail (exit 1).
 * - `failed`: no usable answer (network, timeout, 5xx): nothing could be checked (exit 1).
 * - `refused`: TokPortal refused the request as the account is now, in its error envelope; the sync reads
 *   such refusals, but the success answer could not be checked.
 * - `not_checked`: not sent, and why.
 * - `key_refused`: TokPortal refused the key (exit 3).
 */
export type Outcome = "ok" | "differs" | "unreadable" | "failed" | "refused" | "not_checked" | "key_refused";

export type FindingCode =
  // What an answer lacks or holds of the wrong type (subject: the field, e.g. `data.edits_quantity`).
  | "missing"
  | "wrong_type"
  | "no_envelope"
  | "not_list"
  | "no_pagination"
  | "no_header"
  | "no_dry_run_marker"
  | "no_would_charge"
  | "no_results"
  | "not_csv"
  | "csv_no_join_key"
  | "csv_no_metric"
  | "error_not_enveloped"
  // Answers that are not differences.
  | "refused_as_is"
  | "not_in_plan"
  | "key_refused"
  | "unanswered"
  // Why a check was not sent.
  | "no_bundle"
  | "no_video"
  | "videos_only"
  | "no_unchanged_value"
  | "outside_dry_run"
  | "needs_image_url"
  | "destructive"
  | "writes_stopped"
  | "local_probe"
  // The Google checks (google.ts): what stops the sync from using the spreadsheet.
  | "google_no_credentials"
  | "google_credentials_unusable"
  | "google_token_refused"
  | "google_impersonation_refused"
  | "google_scope_missing"
  | "google_not_shared"
  | "google_not_found"
  | "google_tab_missing"
  | "google_unanswered"
  | "google_not_reached";

export interface Finding {
  code: FindingCode;
  /** A field, header or column name, or TokPortal's error code: never a value from the account. */
  subject?: string;
  /** How much it matters: `differs` (the sync does less) or `unreadable` (the sync cannot read it). */
  severity?: "differs" | "unreadable";
}

export interface CheckResult {
  code: CheckCode;
  outcome: Outcome;
  findings: Finding[];
  /** The HTTP status of the answer, when one came. */
  status?: number | null;
  /** The answer's shape: types in place of values (shape.ts), for a bug report. */
  shape?: unknown;
  /** A Google check's facts: the credentials used, the spreadsheet's title and tabs (google.ts). */
  google?: GoogleFacts;
}

/** The outcome a set of findings gives an answer that arrived. */
export function outcomeOf(findings: readonly Finding[]): Outcome {
  if (findings.some((f) => f.severity === "unreadable")) return "unreadable";
  if (findings.some((f) => f.severity === "differs")) return "differs";
  return "ok";
}

/** What a Google check found (google.ts), for the words (words.ts) and the report. */
export interface GoogleFacts {
  credentials: CredentialsInfo | null;
  /** The source's own line for a credentials file it cannot use (it names the file and the fix). */
  detail?: string;
  title?: string;
  tabs?: string[];
}

export type Counts = Record<Outcome, number>;

export function countOutcomes(results: readonly CheckResult[]): Counts {
  const counts: Counts = {
    ok: 0,
    differs: 0,
    unreadable: 0,
    failed: 0,
    refused: 0,
    not_checked: 0,
    key_refused: 0,
  };
  for (const r of results) counts[r.outcome] += 1;
  return counts;
}
