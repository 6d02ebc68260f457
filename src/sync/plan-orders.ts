/**
 * The planner's rules of ordering accounts (docs/tokportal-api.md §6, §14): a follow-up order resolved to
 * the account its named bundles row ordered (or held until TokPortal delivers it), countries TokPortal opens
 * only to video work, warming that cannot change after the order, the delivered account's output cells,
 * and bundles TokPortal cancelled (or whose account it banned), which get no more calls. Pure.
 */
import { sameCountry } from "../api/countries.ts";
import type { Bundle } from "../api/index.ts";
import { type Finding, finding } from "../findings/index.ts";
import { warmingSummary } from "./desired/warming.ts";
import { type IssueStatus, issue, type RowNote } from "./plan-rows.ts";
import type { BundleView } from "./plan-view.ts";
import type { ActualBundle, ActualState, DesiredBundle, DesiredState, PlannedRow } from "./types.ts";

/** Account statuses that end a bundle's work as surely as a cancelled bundle. */
const ENDED_ACCOUNT: ReadonlySet<string> = new Set(["banned", "cancelled"]);

/** Why nothing is planned for a bundle before it is even looked at: its status and what to say. */
export interface Held {
  status: IssueStatus;
  finding: Finding;
}

/**
 * A follow-up order that TokPortal does not have yet, resolved: its create gets the named bundle's
 * `saved_account_id` once TokPortal reports it. Until then it is held (pending, saying what it waits for);
 * a named bundle that is cancelled or ambiguous holds it as an error. The create's body (and so its
 * idempotency key) holds only the resolved id, never when it was resolved: every run that finds the account
 * delivered sends the very same request.
 */
export function resolveFollowUp(
  b: DesiredBundle,
  desired: DesiredState,
  actual: ActualState,
): { bundle: DesiredBundle } | { held: Held } {
  if (b.accountRef === undefined || b.create === null) return { bundle: b };
  if ((actual.byExternalRef.get(b.externalRef) ?? []).length > 0) return { bundle: b };
  const named = desired.bundles.get(b.accountRef);
  const rows = named?.row?.rowNumbers ?? [];
  const ref = b.accountRef;
  const matches = named ? (actual.byExternalRef.get(named.externalRef) ?? []) : [];
  const remote = matches.length === 1 ? matches[0]!.bundle : null;
  if (matches.length > 1) {
    return {
      held: {
        status: "error",
        finding: finding("account_ref_has_errors", "account_bundle_ref", { ref, rows }),
      },
    };
  }
  if (remote === null) {
    const waiting = finding("account_ref_waiting", "account_bundle_ref", { ref, rows, accountStatus: null });
    return { held: { status: "pending", finding: waiting } };
  }
  const ended = endedBy(remote);
  if (ended) {
    const f = finding("account_ref_cancelled", "account_bundle_ref", { ref, rows, reason: ended.reason });
    return { held: { status: "error", finding: f } };
  }
  const saved = remote.saved_account_id;
  if (typeof saved !== "string" || saved === "") {
    const accountStatus = remote.account_status ?? remote.status ?? "not delivered";
    const waiting = finding("account_ref_waiting", "account_bundle_ref", { ref, rows, accountStatus });
    return { held: { status: "pending", finding: waiting } };
  }
  return { bundle: { ...b, create: { ...b.create, account_id: saved } } };
}

/** A new-account order in a country TokPortal opens only to video work on existing accounts. */
export function countryRefused(b: DesiredBundle, list: ActualState["videosOnlyCountries"]): Finding | null {
  const country = b.create?.country;
  if (!list || country === undefined || b.create?.bundle_type === "videos_only") return null;
  return list.some((c) => sameCountry(c, country))
    ? finding("country_videos_only", "country", { country })
    : null;
}

/** TokPortal ended this bundle's work: it cancelled the bundle, or banned or cancelled its account. */
function endedBy(bundle: Bundle): { finding: Finding; reason: string | null } | null {
  const raw = bundle as Record<string, unknown>;
  const reason =
    reasonOf(raw["cancellation_reason"]) ?? reasonOf(raw["cancel_reason"]) ?? reasonOf(raw["reason"]);
  if (bundle.status === "cancelled")
    return { finding: finding("bundle_cancelled", undefined, { reason }), reason };
  const account = bundle.account_status ?? "";
  if (ENDED_ACCOUNT.has(account)) {
    return { finding: finding("account_banned", undefined, { status: account, reason }), reason };
  }
  return null;
}

function reasonOf(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/**
 * A cancelled bundle (or banned account): its rows show what TokPortal has and why, locked, and nothing is
 * planned for the bundle or its videos. Null when the bundle is live.
 */
export function endedNotes(b: DesiredBundle, actual: ActualBundle): RowNote[] | null {
  const ended = endedBy(actual.bundle);
  if (!ended) return null;
  const notes: RowNote[] = [];
  if (b.row) {
    notes.push({ kind: "remote", row: b.row, values: bundleOutputs(actual) });
    notes.push(issue(b.row, "locked", ended.finding));
  }
  const slots = actual.videos ?? [];
  for (const v of b.videos) {
    const slot = slots.find((s) => (s.external_ref ?? "") === v.videoRef);
    if (slot) {
      const values = {
        video_id: slot.id ?? null,
        position: slot.position,
        video_status: slot.status ?? null,
      };
      notes.push({ kind: "remote", row: v.row, values });
    }
    notes.push(issue(v.row, "locked", ended.finding));
  }
  return notes;
}

/** The bundles row's remote cells, the delivered account's included when known. */
export function bundleOutputs(actual: ActualBundle): PlannedRow["remote"] {
  const remote = actual.bundle;
  return {
    bundle_id: remote.id,
    bundle_status: remote.status ?? null,
    account_status: actual.account?.status ?? remote.account_status ?? null,
    ...deliveredOutputs(remote, actual.delivered),
  };
}

/** saved_account_id (from the bundle, free), and the username and URL when this run read them. */
export function deliveredOutputs(
  remote: Bundle | null,
  delivered: ActualBundle["delivered"] | null,
): PlannedRow["remote"] {
  const saved = remote?.saved_account_id;
  return {
    ...(typeof saved === "string" && saved !== "" ? { saved_account_id: saved } : {}),
    ...(delivered?.username ? { account_username: delivered.username } : {}),
    ...(delivered?.url ? { account_url: delivered.url } : {}),
  };
}

/**
 * Warming is ordered with the bundle and never changed after (no API takes it): a row whose warming differs
 * from what TokPortal reports is locked, naming the column. A bundle that reports no warming fields cannot
 * be compared, and is left alone.
 */
export function lockWarming(view: BundleView): RowNote[] {
  const { b, remote } = view;
  if (!remote || !b.row || !b.create || b.create.bundle_type === "videos_only") return [];
  const have = remote as Record<string, unknown>;
  const reported = ["wants_advanced_warming", "wants_niche_warming", "advanced_warming_terms_count"].some(
    (f) => have[f] !== undefined && have[f] !== null,
  );
  if (!reported) return [];
  const want = b.create as Record<string, unknown>;
  const wantWords = warmingSummary(want);
  const haveWords = warmingSummary(have);
  const termsDiffer =
    Array.isArray(want["advanced_warming_terms"]) &&
    Array.isArray(have["advanced_warming_terms"]) &&
    have["advanced_warming_terms"].length > 0 &&
    want["advanced_warming_terms"].join(";") !== have["advanced_warming_terms"].join(";");
  if (wantWords === haveWords && !termsDiffer) return [];
  const column = warmingColumn(want) ?? warmingColumn(have) ?? "advanced_warming_terms";
  const shown = (words: string, terms: unknown) =>
    termsDiffer && Array.isArray(terms) ? `${words} (${terms.join("; ")})` : words;
  const f = finding("warming_fixed", column, {
    column,
    want: shown(wantWords, want["advanced_warming_terms"]),
    have: shown(haveWords, have["advanced_warming_terms"]),
  });
  return [issue(b.row, "locked", f)];
}

function warmingColumn(fields: Record<string, unknown>): string | null {
  if (Array.isArray(fields["advanced_warming_terms"]) && fields["advanced_warming_terms"].length > 0) {
    return "advanced_warming_terms";
  }
  if (
    typeof fields["advanced_warming_terms_count"] === "number" &&
    fields["advanced_warming_terms_count"] > 0
  ) {
    return "advanced_warming_terms_count";
  }
  if (fields["wants_niche_warming"] === true) return "niche_warming_instructions";
  return null;
}
