/**
 * The actual state: what TokPortal has for the bundles the sheet mentions.
 *
 * One paginated listing of every bundle, indexed by `external_ref`; then, for each ref the sheet names
 * that exists exactly once, its video slots and (only when its bundles row changed) its account. A run
 * begins the listing and the slot reads before its desired state (early-reads.ts). Refs found twice are
 * errors for the planner, not guesses, so nothing is fetched for them; bundles the sheet does not mention
 * are never fetched either.
 *
 * A list item without `saved_account_id` or `edits_quantity` (both inferred to be there, docs/tokportal-api.md
 * §6) is completed from the bundle's own view (`GET /bundles/{id}`), only when a row of that bundle changed
 * (an unchanged bundle plans nothing that reads them, so a rerun stays one listing plus the video lists);
 * a field the view lacks too stays unknown, and the planner says so on the row rather than guess. A
 * bundle a waiting follow-up order names is completed the same way, since the order waits for its account.
 * The reads of ordering accounts (`/countries`, a delivered account) are in remote-accounts.ts.
 */
import { type Bundle, type TokPortalClient, TokPortalError } from "../api/index.ts";
import { isAuthFailure, serverMessage } from "./apply-errors.ts";
import { EarlyReads } from "./early-reads.ts";
import { readDeliveredAccount, readVideosOnlyCountries, wantsDeliveredAccount } from "./remote-accounts.ts";
import { markerPart } from "./review-marker.ts";
import type { ActualBundle, ActualState, DesiredBundle, DesiredState } from "./types.ts";

export async function fetchActual(
  client: TokPortalClient,
  desired: DesiredState,
  early: EarlyReads = new EarlyReads(client),
): Promise<ActualState> {
  const all = await early.listing;
  const today = new Date(client.serverNow() ?? Date.now()).toISOString().slice(0, 10);

  const wanted = new Map<string, DesiredBundle>();
  for (const b of desired.bundles.values()) wanted.set(b.externalRef, b);

  const byExternalRef = new Map<string, ActualBundle[]>();
  const orphanBundles: Bundle[] = [];
  for (const bundle of all) {
    const ref = bundle.external_ref ?? "";
    if (wanted.has(ref)) {
      const list = byExternalRef.get(ref) ?? [];
      list.push({ bundle, videos: null, account: null });
      byExternalRef.set(ref, list);
    } else if (isUnderPrefix(ref, desired.prefix)) {
      orphanBundles.push(bundle);
    }
  }

  const fetches: Promise<void>[] = [];
  // A follow-up order not placed yet needs the saved account of the bundle it names, even when that
  // bundle's own rows did not change.
  const namedByFollowUp = new Set<string>();
  for (const b of desired.bundles.values()) {
    if (b.accountRef === undefined || byExternalRef.has(b.externalRef)) continue;
    const named = desired.bundles.get(b.accountRef);
    if (named) namedByFollowUp.add(named.externalRef);
  }
  let videosOnlyCountries: string[] | undefined;
  if (ordersNewAccount(desired, byExternalRef)) {
    fetches.push(
      readVideosOnlyCountries(client).then((codes) => {
        videosOnlyCountries = codes;
      }),
    );
  }
  for (const [ref, found] of byExternalRef) {
    const only = found.length === 1 ? found[0] : undefined;
    const want = wanted.get(ref);
    if (!only || !want) continue;
    const failed = (error: unknown) => {
      // A refused key fails every later call too: that ends the run. Anything else is this bundle's alone.
      if (isAuthFailure(error)) throw error;
      only.readError ??= readFailure(error);
    };
    if (lacksListedFields(only.bundle) && (sheetChanged(want) || namedByFollowUp.has(ref))) {
      fetches.push(
        client.bundles
          .get(only.bundle.id)
          .then(async (view) => {
            only.bundle = completed(only.bundle, view);
            if (wantsDeliveredAccount(only.bundle, want)) await readDelivered(only);
          })
          .catch((error: unknown) => {
            // The list item still holds the bundle; what it lacks stays unknown, as the planner handles.
            if (isAuthFailure(error)) throw error;
          }),
      );
    }
    // A listed saved_account_id is read now; one the view completes is read once the view is in.
    if (!lacksListedFields(only.bundle) && wantsDeliveredAccount(only.bundle, want))
      fetches.push(readDelivered(only));
    fetches.push(
      (early.takeVideos(only.bundle.id) ?? client.videos.list(only.bundle.id))
        .then((videos) => {
          only.videos = [...videos].sort((a, b) => a.position - b.position);
        })
        .catch(failed),
    );
    if (accountMayChange(only.bundle, want)) {
      fetches.push(
        client.account
          .get(only.bundle.id)
          .then((account) => {
            only.account = account;
          })
          .catch(failed),
      );
    }
  }
  await Promise.all(fetches);
  return {
    byExternalRef,
    orphanBundles,
    today,
    ...(videosOnlyCountries === undefined ? {} : { videosOnlyCountries }),
  };

  async function readDelivered(only: ActualBundle): Promise<void> {
    const delivered = await readDeliveredAccount(client, only.bundle);
    if (delivered) only.delivered = delivered;
  }
}

/** The sheet orders a new account: a bundles row TokPortal does not have yet, of a type with an account. */
function ordersNewAccount(desired: DesiredState, found: ReadonlyMap<string, unknown>): boolean {
  for (const b of desired.bundles.values()) {
    if (b.create && b.create.bundle_type !== "videos_only" && !found.has(b.externalRef)) return true;
  }
  return false;
}

/** Fields the planner reads off a list item that TokPortal might list only in the bundle's own view. */
const VIEW_FIELDS = ["saved_account_id", "edits_quantity"] as const;

function lacksListedFields(bundle: Bundle): boolean {
  return VIEW_FIELDS.some((f) => bundle[f] === undefined);
}

/** The list item with the fields it lacked taken from the bundle's view (null counts as given). */
function completed(listed: Bundle, view: Bundle): Bundle {
  const out: Bundle = { ...listed };
  for (const f of VIEW_FIELDS)
    if (out[f] === undefined && view[f] !== undefined) Object.assign(out, { [f]: view[f] });
  return out;
}

function readFailure(error: unknown): string {
  if (error instanceof TokPortalError) {
    const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
    return `${serverMessage(error)} (${error.code}${tries})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** With an empty prefix every bundle carrying a ref counts as the sheet's; unreferenced ones never do. */
function isUnderPrefix(ref: string, prefix: string): boolean {
  return ref !== "" && ref.startsWith(prefix);
}

/** A row differs from what the last sync stored. */
const rowChanged = (row: { fingerprint: string; outputs: Record<string, string> }): boolean =>
  row.fingerprint !== (row.outputs["sync_fingerprint"] ?? "");

/** Whether the bundles row or any of its videos rows changed. */
function sheetChanged(want: DesiredBundle): boolean {
  return rowChanged(want) || want.videos.some(rowChanged);
}

/**
 * The account is read only when the planner needs it: the bundle has an account, the sheet fills a profile
 * column, and the bundle row changed since the last synced run (an unchanged row has nothing new to send).
 * Also once the bundle left `pending_setup`: a profile change TokPortal no longer takes locks the row, and
 * its message says what TokPortal has.
 */
function accountMayChange(bundle: Bundle, want: DesiredBundle): boolean {
  if (bundle.bundle_type === "videos_only") return false;
  // A correction note about to be sent: the account's own comment tells whether it already was. Also once
  // sent when the row does not know it (the answer was lost): the comment shows it, and the row learns it.
  const review = want.accountReview;
  if (review?.action === "changes") {
    if (bundle.account_status === "in_review") return true;
    const known = markerPart(want.outputs["review_marker"], "c") === review.marker;
    if (bundle.account_status === "pending_corrections" && !known) return true;
  }
  return want.account !== null && rowChanged(want);
}
