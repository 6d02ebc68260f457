/**
 * The bundles row's ops: create the bundle (priced), buy more video or edit slots, patch its settings, set
 * its account profile; and the changes TokPortal no longer takes (fields fixed at creation, settings of a
 * closed bundle, a delivered profile, fewer edit slots), each of which locks the row.
 */
import type { BundleAccount, ConfigureAccountBody, PatchBundleBody } from "../api/index.ts";
import { plural } from "../words.ts";
import { rowWords, where } from "./plan-rows.ts";
import {
  accountStatus,
  type BundleView,
  type Candidate,
  CLOSED_BUNDLE,
  EDITABLE_ACCOUNT,
  price,
} from "./plan-view.ts";
import type { DesiredBundle, PlanOp } from "./types.ts";

/** bundle_type, platform, country and a videos_only account_id are fixed at creation: a differing cell locks the row. */
export function lockImmutables(view: BundleView): boolean {
  const { b, remote } = view;
  if (!remote || !b.row || !b.create) return false;
  const diffs: Array<[string, string, string]> = [];
  const cmp = (column: string, want: string | undefined, have: unknown) => {
    if (want === undefined || typeof have !== "string") return;
    if (want.toLowerCase() !== have.toLowerCase()) diffs.push([column, want, have]);
  };
  cmp("bundle_type", b.create.bundle_type, remote.bundle_type);
  cmp("platform", b.create.platform, remote.platform);
  if (b.create.bundle_type !== "videos_only") cmp("country", b.create.country, remote.country);
  else
    cmp(
      "account_id",
      b.create.account_id,
      (remote as Record<string, unknown>)["account_id"] ?? remote.saved_account_id,
    );
  for (const [column, want, have] of diffs) {
    view.book.issue(
      b.row,
      "locked",
      `${where(b.row, column)}: TokPortal has this bundle as ${have}, not ${want}, and a bundle's ${column} cannot change; set ${column} back to ${have}, or use a new bundle_ref for a new bundle`,
    );
  }
  return diffs.length > 0;
}

export function createOp(view: BundleView, videosQuantity: number): PlanOp {
  const { b, options } = view;
  const body = { ...b.create!, external_ref: b.externalRef, videos_quantity: videosQuantity };
  const extra = body as Record<string, unknown>;
  const edits = body.edits_quantity ?? 0;
  let cost =
    price(options.costs, "video_upload") * videosQuantity + price(options.costs, "video_edit") * edits;
  if (body.bundle_type !== "videos_only") cost += price(options.costs, "account_creation");
  if (body.wants_niche_warming === true) cost += price(options.costs, "niche_warming");
  const terms = Array.isArray(extra["advanced_warming_terms"])
    ? extra["advanced_warming_terms"].length
    : typeof extra["advanced_warming_terms_count"] === "number"
      ? extra["advanced_warming_terms_count"]
      : 0;
  cost += price(options.costs, "advanced_warming") * terms;
  const slotWords = plural(videosQuantity, "video slot");
  return {
    kind: "createBundle",
    id: `${b.bundleRef}:createBundle`,
    bundleRef: b.bundleRef,
    bundleId: null,
    rows: [],
    reason: `new bundle (${body.bundle_type}, ${slotWords}${edits > 0 ? `, ${edits} edit slots` : ""})`,
    cost,
    body,
  };
}

export function addSlotsOp(
  view: BundleView,
  quantity: number,
  configures: readonly Candidate[],
  existing: number,
): PlanOp {
  const { b } = view;
  const onNew = configures.filter((c) => c.slot.isNew).map((c) => c.v.row);
  const why =
    onNew.length > 0
      ? `for ${rowWords(onNew)}`
      : `(video_slots asks for ${b.minSlots}, TokPortal has ${existing})`;
  return {
    kind: "addVideoSlots",
    id: `${b.bundleRef}:addVideoSlots`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: onNew.map((r) => r.id),
    reason: `${plural(quantity, "more slot")} ${why}`,
    cost: price(view.options.costs, "video_upload") * quantity,
    quantity,
  };
}

/**
 * title / auto_finalize_videos differing from TokPortal (only the fields that differ). A closed bundle
 * takes no more changes: a differing cell locks the row (its fingerprint is kept, so the next run still
 * sees the change) instead of being reported synced and lost.
 */
export function patchBundleOp(view: BundleView): PlanOp | null {
  const { b, remote } = view;
  if (!remote || !b.row) return null;
  const body: PatchBundleBody = {};
  const has: Record<string, string> = {};
  const s = b.settings;
  if (s.title !== undefined && s.title !== (remote.title ?? "")) {
    body.title = s.title;
    has["title"] = shown(remote.title ?? "");
  }
  const auto = remote.auto_finalize_videos;
  if (s.auto_finalize_videos !== undefined && typeof auto === "boolean" && s.auto_finalize_videos !== auto) {
    body.auto_finalize_videos = s.auto_finalize_videos;
    has["auto_finalize_videos"] = auto ? "yes" : "no";
  }
  const fields = Object.keys(body);
  if (fields.length === 0) return null;
  if (CLOSED_BUNDLE.has(view.status)) {
    const one = fields.length === 1;
    const what = fields.map((f) => `${f} differs: TokPortal has ${has[f]}`).join("; ");
    view.book.issue(
      b.row,
      "locked",
      `${where(b.row, one ? fields[0] : undefined)}: the bundle is already ${view.status}; TokPortal no longer accepts changes to its settings (${what}). Set ${one ? "that cell" : "those cells"} back to what TokPortal has`,
    );
    return null;
  }
  return {
    kind: "patchBundle",
    id: `${b.bundleRef}:patchBundle`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    reason: `row differs from TokPortal: ${fields.join(", ")}`,
    cost: 0,
    body,
  };
}

/**
 * Edit slots are bought, never removed: `edit_slots` above what TokPortal has buys the difference (priced
 * like a create's), below it locks the row. A blank cell states nothing about an existing bundle.
 * `slotsAfter` is how many video slots the bundle has once this plan's slots are bought: TokPortal refuses
 * more edit slots than video slots, so that is said on the row instead of sending a call bound to fail.
 */
export function addEditSlotsOp(view: BundleView, slotsAfter: number): PlanOp | null {
  const { b, remote } = view;
  const want = b.create?.edits_quantity;
  const have = remote?.edits_quantity;
  if (remote && b.row && want !== undefined && want > 0 && typeof have !== "number") {
    // TokPortal's bundle does not say how many edit slots it has (docs/tokportal-api.md §6): buying
    // blind could pay twice for slots it has, so nothing is bought and the row says why.
    view.book.issue(
      b.row,
      "pending",
      `${where(b.row, "edit_slots")}: TokPortal's bundle does not say how many edit slots it has, so no edit slot is bought; check the bundle on TokPortal and buy any missing ones there`,
    );
    return null;
  }
  if (!remote || !b.row || want === undefined || typeof have !== "number" || want === have) return null;
  if (want < have) {
    view.book.issue(
      b.row,
      "locked",
      `${where(b.row, "edit_slots")}: TokPortal has ${plural(have, "edit slot")} on this bundle and bought slots cannot be removed; set edit_slots back to ${have}`,
    );
    return null;
  }
  if (CLOSED_BUNDLE.has(view.status)) {
    view.book.issue(
      b.row,
      "locked",
      `${where(b.row, "edit_slots")}: the bundle is ${view.status} on TokPortal, which sells it no more edit slots (it has ${have}); set edit_slots back to ${have}`,
    );
    return null;
  }
  if (want > slotsAfter) {
    view.book.issue(
      b.row,
      "error",
      `${where(b.row, "edit_slots")}: ${want} is more than the bundle's ${slotsAfter} video slots, and TokPortal sells at most one edit slot per video slot; lower edit_slots or raise video_slots`,
    );
    return null;
  }
  const quantity = want - have;
  return {
    kind: "addEditSlots",
    id: `${b.bundleRef}:addEditSlots`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    reason: `${plural(quantity, "more edit slot")} (edit_slots asks for ${want}, TokPortal has ${have})`,
    cost: price(view.options.costs, "video_edit") * quantity,
    quantity,
  };
}

/**
 * `video_slots` is a minimum: below what TokPortal has, it is met already (slots are never removed), which
 * the changed row is told so the user does not expect fewer slots.
 */
export function noteSlotFloor(view: BundleView): void {
  const { b, remote } = view;
  const have = remote?.videos_quantity;
  if (!remote || !b.row || b.minSlots === 0 || typeof have !== "number" || b.minSlots >= have) return;
  if (b.fingerprint === (b.outputs["sync_fingerprint"] ?? "")) return;
  view.book.info(
    b.row,
    `${where(b.row, "video_slots")}: TokPortal has ${have} video slots on this bundle and bought slots cannot be removed, so it keeps ${have}; video_slots ${b.minSlots} is a minimum and is met`,
  );
}

/**
 * The profile: always on a new bundle; on an existing one only when the bundle row changed and the account
 * was read, for the fields that differ. A profile TokPortal no longer accepts locks the row, naming each
 * differing column and what TokPortal has (the fingerprint is kept, so the next run still sees it).
 */
export function accountOp(view: BundleView): PlanOp | null {
  const { b } = view;
  if (!b.row || !b.account || view.type === "videos_only") return null;
  let reason = "new bundle: set the account profile";
  if (!view.isNew) {
    const stored = b.outputs["sync_fingerprint"] ?? "";
    // The account is read for every changed row of a bundle that has one (remote.ts): null means there is
    // no account on TokPortal to compare with, or the row did not change.
    if (b.fingerprint === stored || view.account === null) return null;
    const diffs = accountDiffs(b, view.account, stored !== "");
    if (diffs.length === 0) return null;
    const status = accountStatus(view) ?? "pending";
    if (view.status !== "pending_setup" || !EDITABLE_ACCOUNT.has(status)) {
      // An uploaded picture cannot be compared: only a visible difference locks the row.
      const visible = diffs.filter((d) => d.have !== undefined);
      if (visible.length > 0) {
        const state = EDITABLE_ACCOUNT.has(status)
          ? `the bundle is already ${view.status}`
          : `the account is already ${status}`;
        const one = visible.length === 1;
        const what = visible
          .map((d) => `${d.column} differs: TokPortal has ${shown(d.have ?? "")}`)
          .join("; ");
        view.book.issue(
          b.row,
          "locked",
          `${where(b.row, one ? visible[0]?.column : undefined)}: ${state}; TokPortal no longer accepts profile changes (${what}). Set ${one ? "that cell" : "those cells"} back to what TokPortal has`,
        );
      }
      return null;
    }
    reason = `row changed: ${diffs.map((d) => d.column).join(", ")}`;
  }
  const body: ConfigureAccountBody = { ...b.account };
  return {
    kind: "configureAccount",
    id: `${b.bundleRef}:configureAccount`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    reason,
    cost: 0,
    body,
    ...(b.profilePicture ? { profilePicture: b.profilePicture } : {}),
  };
}

/** A profile column that differs; `have` is TokPortal's value, absent for a local picture file (not comparable). */
interface AccountDiff {
  column: string;
  have?: string;
}

function accountDiffs(b: DesiredBundle, have: BundleAccount, hasStoredFingerprint: boolean): AccountDiff[] {
  const want = b.account!;
  const diffs: AccountDiff[] = [];
  for (const f of ["username", "visible_name", "biography", "link_in_bio"] as const) {
    const w = want[f];
    const h = have[f] ?? "";
    if (w !== undefined && w !== null && w !== h) diffs.push({ column: f, have: h });
  }
  const picture = have.profile_picture_url ?? "";
  if (want.profile_picture_url !== undefined && want.profile_picture_url !== picture) {
    diffs.push({ column: "profile_picture", have: picture });
  } else if (b.profilePicture?.kind === "file" && (hasStoredFingerprint || picture === "")) {
    // TokPortal re-hosts an uploaded picture, so the changed row is the only signal.
    diffs.push({ column: "profile_picture" });
  }
  return diffs;
}

/** A remote value inside a message: quoted, shortened, and "nothing" for an empty one. */
function shown(value: string): string {
  if (value === "") return "nothing";
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
