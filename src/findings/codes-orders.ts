/**
 * Codes of ordering accounts: warming (set at creation only), follow-up orders on an account another
 * bundles row orders (`account_bundle_ref`), countries TokPortal opens only to video work, and bundles or
 * accounts TokPortal cancelled or banned. Found from the sheet (desired state) or by the planner.
 */
import { code, type None } from "./entry.ts";
import { rowList } from "./where.ts";

const WARMING_WORDS: Readonly<Record<string, string>> = {
  advanced_warming_terms: "advanced warming (advanced_warming_terms)",
  advanced_warming_terms_count: "advanced warming (advanced_warming_terms_count)",
  niche_warming_instructions: "legacy niche warming (niche_warming_instructions)",
};

const warmingName = (column: string): string => WARMING_WORDS[column] ?? column;

export const ORDER_CODES = {
  // ——— Warming, on the sheet ———
  warming_conflict: code<{ column: string; other: string }>({
    status: "error",
    meaning:
      "Two kinds of warming on one bundle: TokPortal takes advanced warming or legacy niche warming, not both (WARMING_CONFLICT); and advanced warming either names its terms or gives their count.",
    fix: "Clear one of the two warming cells.",
    text: (p) =>
      `${warmingName(p.column)} cannot be combined with ${warmingName(p.other)}; clear one of ${p.column} and ${p.other}`,
  }),
  deep_warming_deprecated: code<None>({
    status: "error",
    meaning: "Deep warming is discontinued by TokPortal (DEEP_WARMING_DEPRECATED).",
    fix: "Clear deep_warming (or write no), and use advanced_warming_terms instead.",
    text: () =>
      "deep warming is discontinued by TokPortal; clear the cell (or write no) and use advanced_warming_terms instead",
  }),
  warming_terms_count: code<{ count: number }>({
    status: "error",
    meaning: "Advanced warming takes 3 to 30 terms, a multiple of 3.",
    fix: "Give 3, 6, 9, … up to 30 terms (or that count).",
    text: (p) =>
      `${p.count} ${p.count === 1 ? "term" : "terms"}: advanced warming takes 3 to 30, a multiple of 3 (3, 6, 9, … 30)`,
  }),
  warming_term_length: code<{ term: string }>({
    status: "error",
    meaning: "An advanced warming term shorter than 2 or longer than 50 characters.",
    fix: "Make each term 2 to 50 characters long (terms are separated by ;).",
    text: (p) =>
      `the term "${p.term}" is ${p.term.length} characters long; each term must be 2 to 50 characters (terms are separated by ;)`,
  }),
  warming_on_videos_only: code<None>({
    status: "error",
    meaning: "Warming is bought with a new account; a videos_only bundle posts from an account that exists.",
    fix: "Clear the warming cell, or order the warming with the account's own bundle.",
    text: () =>
      "warming is bought with a new account; a videos_only bundle has none: clear the cell (warming is ordered with the account's own bundle)",
  }),

  // ——— Follow-up orders, on the sheet ———
  account_ref_and_id: code<None>({
    status: "error",
    meaning:
      "A videos_only bundle names both a saved account (account_id) and a bundles row (account_bundle_ref).",
    fix: "Keep one of account_id and account_bundle_ref.",
    text: () => "and account_id both name the account to post from; keep one of them",
  }),
  account_ref_not_videos_only: code<None>({
    status: "error",
    meaning:
      "account_bundle_ref only applies to videos_only bundles (a follow-up order on an existing account).",
    fix: "Clear account_bundle_ref, or set bundle_type to videos_only.",
    text: () => "is only for videos_only bundles; clear it or set bundle_type to videos_only",
  }),
  account_ref_unknown: code<{ ref: string }>({
    status: "error",
    meaning: "account_bundle_ref names no bundles row of the sheet.",
    fix: "Write the bundle_ref of the bundles row that orders the account.",
    text: (p) =>
      `no bundles row has bundle_ref ${p.ref}; write the bundle_ref of the row that orders the account`,
  }),
  account_ref_to_videos_only: code<{ ref: string; rows: readonly number[] }>({
    status: "error",
    meaning: "account_bundle_ref names a videos_only bundle, which orders no account.",
    fix: "Name the bundles row that orders the account (account_only or account_and_videos).",
    text: (p) =>
      `bundle ${p.ref} (${rowList(p.rows)}) is videos_only and orders no account; name the bundles row that orders the account`,
  }),
  account_ref_cycle: code<{ refs: readonly string[] }>({
    status: "error",
    meaning: "Follow-up orders that name each other (or themselves): none of them orders an account.",
    fix: "Point account_bundle_ref at a bundles row that orders the account.",
    text: (p) =>
      `${p.refs.join(" → ")} name each other in a circle, so no account is ever ordered; point account_bundle_ref at the row that orders the account`,
  }),
  account_ref_has_errors: code<{ ref: string; rows: readonly number[] }>({
    status: "error",
    meaning: "The bundles row that orders the follow-up's account has errors of its own.",
    fix: "Fix that bundles row first.",
    text: (p) => `bundle ${p.ref} (${rowList(p.rows)}) has errors; fix that row first`,
  }),

  // ——— Follow-up orders and countries, against TokPortal ———
  account_ref_waiting: code<{ ref: string; rows: readonly number[]; accountStatus: string | null }>({
    status: "pending",
    meaning:
      "A follow-up order waits for TokPortal to deliver the account of the bundles row it names; it is ordered on the first run after that.",
    fix: "Nothing: run the sync again once the account is delivered (the row says its status).",
    text: (p) =>
      p.accountStatus === null
        ? `waits for bundle ${p.ref} (${rowList(p.rows)}) to be ordered and its account delivered; ordered on the first run after that`
        : `waits for the account of bundle ${p.ref} (${rowList(p.rows)}) to be delivered (its account is ${p.accountStatus}); ordered on the first run after that`,
  }),
  account_ref_cancelled: code<{ ref: string; rows: readonly number[]; reason: string | null }>({
    status: "error",
    meaning: "The bundle whose account a follow-up order names was cancelled, or its account banned.",
    fix: "Name another bundles row's account, or remove the follow-up.",
    text: (p) =>
      `bundle ${p.ref} (${rowList(p.rows)}) was cancelled or its account banned on TokPortal${p.reason ? ` (${p.reason})` : ""}; name another bundle's account, or remove this row`,
  }),
  country_videos_only: code<{ country: string }>({
    status: "error",
    meaning:
      "TokPortal takes this country only for video work on accounts that exist (videos_only_countries), not for new accounts.",
    fix: "Choose a country open for new accounts, or order videos_only on an existing account there.",
    text: (p) =>
      `${p.country} is open only to video work on existing accounts, not to new accounts; choose another country, or make this a videos_only bundle on an account there`,
  }),
  warming_fixed: code<{ column: string; want: string; have: string }>({
    status: "locked",
    meaning:
      "Warming is ordered with the bundle: TokPortal takes no change of it afterwards (nothing through the API).",
    fix: "Set the cell back to what the bundle was ordered with, or order a new bundle.",
    text: (p) =>
      `the bundle was ordered with ${p.have}, not ${p.want}, and warming cannot change after the order; set the cell back, or use a new bundle_ref for a new bundle`,
  }),

  // ——— Cancelled and banned ———
  bundle_cancelled: code<{ reason: string | null }>({
    status: "locked",
    meaning: "TokPortal cancelled the bundle (typically after a validated ban): it takes no more work.",
    fix: "Nothing to fix in the row; order a new bundle (a new bundle_ref) if the campaign needs one.",
    text: (p) =>
      `TokPortal cancelled this bundle${p.reason ? ` (${p.reason})` : ""}; nothing more is sent for it: order a new bundle under a new bundle_ref if needed`,
  }),
  account_banned: code<{ status: string; reason: string | null }>({
    status: "locked",
    meaning: "The bundle's account is banned or cancelled on TokPortal: nothing more can be done with it.",
    fix: "Nothing to fix in the row; order a new bundle (a new bundle_ref) if the campaign needs one.",
    text: (p) =>
      `TokPortal reports the account ${p.status}${p.reason ? ` (${p.reason})` : ""}; nothing more is sent for this bundle: order a new bundle under a new bundle_ref if needed`,
  }),
};
