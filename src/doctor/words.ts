/**
 * The doctor's codes in words, in one place: what a finding says was found, and what the sync does about
 * it. Built only from codes and subjects (field, header and error-code names), never from account data;
 * the Google checks also name the credentials and the identity to share the sheet with.
 */
import { describeCredentials, renewHint, scopeHint, shareTarget } from "../sources/google-credentials.ts";
import {
  CHECKS,
  type CheckCode,
  type CheckResult,
  type Finding,
  GOOGLE_CHECKS,
  type GoogleFacts,
} from "./checks.ts";

const TITLES = new Map<string, string>([...GOOGLE_CHECKS, ...CHECKS].map((c) => [c.code, c.title]));

export function titleOf(code: CheckCode): string {
  return TITLES.get(code) ?? code;
}

/** What was found, in a few words. */
export function foundText(f: Finding, status?: number | null): string {
  // The check names the answer; the field's place in it is in the JSON report.
  const s = (f.subject ?? "").replace(/^data(\[\]|\.account)?\./, "");
  const http = status ? `, HTTP ${status}` : "";
  switch (f.code) {
    case "missing":
      return `${s} missing`;
    case "wrong_type":
      return `${s} of an unusable type`;
    case "no_envelope":
      return "no data envelope";
    case "not_list":
      return "data is not a list";
    case "no_pagination":
      return "no pagination.total_pages";
    case "no_header":
      return `no ${s} header`;
    case "no_dry_run_marker":
      return "answer does not say dry_run: true";
    case "no_would_charge":
      return "no credits_would_charge";
    case "no_results":
      return "no per-video results";
    case "not_csv":
      return "not a CSV answer";
    case "csv_no_join_key":
      return "no video_id or platform_url column";
    case "csv_no_metric":
      return `no ${s} column`;
    case "error_not_enveloped":
      return `refusal without an error envelope${http}`;
    case "refused_as_is":
      return `refused as things are (${s}${http})`;
    case "not_in_plan":
      return `not in this plan (${s}${http})`;
    case "key_refused":
      return `refused${http}`;
    case "unanswered":
      return `no usable answer (${s}${http})`;
    case "no_bundle":
      return "no bundle on this account yet";
    case "videos_only":
      return "the bundle is videos_only (no account)";
    case "no_video":
      return "the bundle has no video slot";
    case "no_unchanged_value":
      return "no value to send unchanged";
    case "outside_dry_run":
      return "its PUT to storage is outside the dry-run header";
    case "needs_image_url":
      return "TokPortal would fetch an image URL of yours";
    case "destructive":
      return "destructive: never sent, even as a dry run";
    case "writes_stopped":
      return "not sent: an earlier dry run was not confirmed";
    case "local_probe":
      return "not sent: the doctor's own request is invalid";
    case "google_no_credentials":
      return "none found";
    case "google_credentials_unusable":
      return `cannot be used (${s})`;
    case "google_token_refused":
      return `Google gives no token for them (${s || "expired or revoked"}${http})`;
    case "google_impersonation_refused":
      return `impersonation refused (${s || "denied"}${http})`;
    case "google_scope_missing":
      return `no spreadsheets scope (${s || "invalid_scope"}${http})`;
    case "google_not_shared":
      return `not shared with this identity${http ? ` (${http.slice(2)})` : ""}`;
    case "google_not_found":
      return `no such spreadsheet${http ? ` (${http.slice(2)})` : ""}`;
    case "google_tab_missing":
      return `no tab "${f.subject ?? ""}"`;
    case "google_unanswered":
      return `no usable answer (${s}${http})`;
    case "google_not_reached":
      return "not checked: see the line above";
  }
}

/** What the sync does about a finding (empty when there is nothing to say). */
export function actionText(check: CheckCode, f: Finding): string {
  const field = (f.subject ?? "").replace(/^data(\[\]|\.account)?\./, "");
  switch (f.code) {
    case "missing":
    case "wrong_type":
      return fieldAction(check, field, f.severity === "unreadable");
    case "no_envelope":
    case "not_list":
      return "fails the steps that need this answer, naming the operation";
    case "no_pagination":
      return "reads further pages until an empty one (one more call)";
    case "no_header":
      return f.subject === "Date"
        ? "counts lead times from this computer's clock, not TokPortal's"
        : "paces at TokPortal's documented 2 calls/s and waits out each 429's Retry-After";
    case "no_dry_run_marker":
      return "TokPortal may have acted on it: the doctor sent no further write; check the account, avoid plan --server-check";
    case "no_would_charge":
      return "plan --server-check shows no price for it; sync prices from /credit-costs";
    case "no_results":
      return "reads the bundle's slots back to learn each video's outcome";
    case "not_csv":
    case "csv_no_join_key":
      return "cannot join the export to rows: analytics cells stay empty";
    case "csv_no_metric":
      return "that metric's cells stay empty (never 0)";
    case "error_not_enveloped":
      return "reads refusals by HTTP status only: row messages are plainer";
    case "not_in_plan":
      return "reads analytics account by account instead (more calls)";
    case "key_refused":
      return "every command stops with exit 3: check TOKPORTAL_API_KEY (sync needs write scope)";
    case "unanswered":
      return "try again later; sync would meet the same failure";
    case "no_bundle":
      return "run doctor again after the first sync to check these";
    case "writes_stopped":
      return "see the write marked above";
    case "local_probe":
      return "please report it (tokportal-sync doctor --save report.json)";
    default:
      return "";
  }
}

/** Specific consequences where the sync's handling of a missing field is known; a fair default otherwise. */
function fieldAction(check: CheckCode, field: string, unreadable: boolean): string {
  const specific: Record<string, string> = {
    "read.bundles:external_ref": "cannot match rows to bundles: do not run sync; report it",
    "read.bundles:status": "cannot tell what may still change: do not run sync; report it",
    "read.bundles:edits_quantity":
      "cannot compare edit_slots: a raised one is not bought, and the row says so",
    "read.bundles:saved_account_id": "no per-account analytics fallback for delivered accounts",
    "read.bundles:account_status": "the bundles row's account_status stays empty",
    "read.videos:id": "video_id stays empty; analytics join by platform_url only",
    "read.videos:platform_url": "platform_url stays empty; analytics join by video_id only",
    "read.videos:target_publish_date": "cannot see date drift; the row's date is kept",
    "read.credit_costs:costs.account_creation": "prices it from the standard table (32)",
    "read.credit_costs:costs.video_upload": "prices it from the standard table (2)",
    "read.credit_costs:costs.video_edit": "prices it from the standard table (3)",
  };
  const known = specific[`${check}:${field}`];
  if (known) return known;
  if (check === "read.account") return "reads it as empty: re-sends the profile (free) while it can change";
  if (unreadable) return "fails the steps that need this answer, naming the field";
  return "reads it as unknown and does not compare it";
}

/** What to do about a Google check's finding: the fix, naming the identity to share the sheet with. */
function googleAction(f: Finding, g: GoogleFacts): string {
  const info = g.credentials;
  switch (f.code) {
    case "google_no_credentials":
      return "run `tokportal-sync login`, or set GOOGLE_APPLICATION_CREDENTIALS to a credentials file; docs/google-sheets.md says which way fits";
    case "google_credentials_unusable":
      return g.detail ?? "";
    case "google_token_refused":
    case "google_impersonation_refused":
      return info ? renewHint(info) : "";
    case "google_scope_missing":
      return info ? scopeHint(info) : "";
    case "google_not_shared":
      return `share the spreadsheet with ${info ? shareTarget(info) : "the account whose credentials are used"} as an Editor`;
    case "google_not_found":
      return "check spreadsheet_id in the config (the long id in the sheet's URL)";
    case "google_tab_missing":
      return "run `tokportal-sync init` to add it, or set bundles_tab / videos_tab to the tab's exact name";
    case "google_unanswered":
      return "try again later; sync would meet the same failure";
    default:
      return "";
  }
}

/** A Google check in words: what was found (the credentials, whom they stand for, the sheet) and the fix. */
function describeGoogle(r: CheckResult, g: GoogleFacts): { found: string; action: string } {
  if (r.outcome !== "ok") {
    const found = r.findings.map((f) => foundText(f, r.status)).join("; ");
    const actions = [...new Set(r.findings.map((f) => googleAction(f, g)).filter(Boolean))];
    return { found, action: actions.join("; ") };
  }
  const info = g.credentials;
  if (r.code === "google.spreadsheet")
    return { found: `"${g.title ?? ""}", tabs ${(g.tabs ?? []).join(", ") || "none"}`, action: "" };
  if (!info) return { found: "ok", action: "" };
  if (r.code === "google.credentials")
    return { found: describeCredentials({ ...info, account: null, impersonate: null }), action: "" };
  if (info.impersonate)
    return {
      found: info.account
        ? `${info.account}, impersonating ${info.impersonate}`
        : `impersonating ${info.impersonate}`,
      action: "",
    };
  if (info.account) return { found: info.account, action: "" };
  return {
    found: "no e-mail in the credentials",
    action: `the sheet must be shared with ${shareTarget(info)}`,
  };
}

/** A result's findings, in words: what was found, and what the sync does (each said once). */
export function describeResult(r: CheckResult): { found: string; action: string } {
  if (r.google) return describeGoogle(r, r.google);
  if (r.outcome === "ok") return { found: "ok", action: "" };
  // Fields missing together are named together: "username, biography missing".
  const missing = r.findings.filter((f) => f.code === "missing");
  const others = r.findings.filter((f) => f.code !== "missing").map((f) => foundText(f, r.status));
  const merged =
    missing.length > 1
      ? `${missing.map((f) => foundText(f).replace(/ missing$/, "")).join(", ")} missing`
      : missing.map((f) => foundText(f));
  const found = [merged, ...others].flat().join("; ");
  const actions = [...new Set(r.findings.map((f) => actionText(r.code, f)).filter(Boolean))];
  return { found, action: actions.join("; ") };
}
