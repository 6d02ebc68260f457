/**
 * The bundles row's ops: create the bundle (priced), buy more video or edit slots, patch its settings, set
 * its account profile; and the changes TokPortal no longer takes (fields fixed at creation, settings of a
 * closed bundle, a delivered profile, fewer edit slots), each of which locks the row.
 */
import { sameCountry } from "../api/countries.ts";
import type { BundleAccount, ConfigureAccountBody, PatchBundleBody } from "../api/index.ts";
import { finding, reasoned } from "../findings/index.ts";
import { lockWarming } from "./plan-orders.ts";
import { type Decided, issue, type RowNote } from "./plan-rows.ts";
import {
  accountStatus,
  type BundleView,
  type Candidate,
  CLOSED_BUNDLE,
  EDITABLE_ACCOUNT,
  price,
} from "./plan-view.ts";
import type { DesiredBundle, PlanOp } from "./types.ts";

/**
 * bundle_type, platform, country, a videos_only account_id and the warming are fixed at creation: a
 * differing cell locks the row.
 */
export function lockImmutables(view: BundleView): RowNote[] {
  const { b, remote } = view;
  const row = b.row;
  if (!remote || !row || !b.create) return [];
  const diffs: Array<[string, string, string]> = [];
  const cmp = (column: string, want: string | undefined, have: unknown, same = sameText) => {
    if (want === undefined || typeof have !== "string") return;
    if (!same(want, have)) diffs.push([column, want, have]);
  };
  cmp("bundle_type", b.create.bundle_type, remote.bundle_type);
  cmp("platform", b.create.platform, remote.platform);
  if (b.create.bundle_type !== "videos_only") cmp("country", b.create.country, remote.country, sameCountry);
  else
    cmp(
      "account_id",
      b.create.account_id,
      (remote as Record<string, unknown>)["account_id"] ?? remote.saved_account_id,
    );
  return [
    ...diffs.map(([column, want, have]) =>
      issue(row, "locked", finding("fixed_at_creation", column, { column, want, have })),
    ),
    ...lockWarming(view),
  ];
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
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
  return {
    kind: "createBundle",
    id: `${b.bundleRef}:createBundle`,
    bundleRef: b.bundleRef,
    bundleId: null,
    rows: [],
    ...reasoned("new_bundle", { bundleType: body.bundle_type, slots: videosQuantity, edits }),
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
  return {
    kind: "addVideoSlots",
    id: `${b.bundleRef}:addVideoSlots`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: onNew.map((r) => r.id),
    ...(onNew.length > 0
      ? reasoned("slots_for_rows", { quantity, rows: onNew.flatMap((r) => r.rowNumbers) })
      : reasoned("slots_for_minimum", { quantity, minSlots: b.minSlots, have: existing })),
    cost: price(view.options.costs, "video_upload") * quantity,
    quantity,
  };
}

/**
 * title / auto_finalize_videos differing from TokPortal (only the fields that differ). A closed bundle
 * takes no more changes: a differing cell locks the row (its fingerprint is kept, so the next run still
 * sees the change) instead of being reported synced and lost.
 */
export function patchBundleOp(view: BundleView): Decided {
  const { b, remote } = view;
  if (!remote || !b.row) return { op: null, notes: [] };
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
  if (fields.length === 0) return { op: null, notes: [] };
  if (CLOSED_BUNDLE.has(view.status)) {
    const closed = finding("settings_closed", fields.length === 1 ? fields[0] : undefined, {
      status: view.status,
      columns: fields,
      have: fields.map((f) => has[f] ?? ""),
    });
    return { op: null, notes: [issue(b.row, "locked", closed)] };
  }
  const op: PlanOp = {
    kind: "patchBundle",
    id: `${b.bundleRef}:patchBundle`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    ...reasoned("settings_differ", { columns: fields }),
    cost: 0,
    body,
  };
  return { op, notes: [] };
}

/**
 * Edit slots are bought, never removed: `edit_slots` above what TokPortal has buys the difference (priced
 * like a create's), below it locks the row. A blank cell states nothing about an existing bundle.
 * `slotsAfter` is how many video slots the bundle has once this plan's slots are bought: TokPortal refuses
 * more edit slots than video slots, so that is said on the row instead of sending a call bound to fail.
 */
export function addEditSlotsOp(view: BundleView, slotsAfter: number): Decided {
  const { b, remote } = view;
  const want = b.create?.edits_quantity;
  const have = remote?.edits_quantity;
  if (remote && b.row && want !== undefined && want > 0 && typeof have !== "number") {
    // TokPortal's bundle does not say how many edit slots it has (docs/tokportal-api.md §6): buying
    // blind could pay twice for slots it has, so nothing is bought and the row says why.
    return { op: null, notes: [issue(b.row, "pending", finding("edit_slots_unknown", "edit_slots", {}))] };
  }
  if (!remote || !b.row || want === undefined || typeof have !== "number" || want === have) {
    return { op: null, notes: [] };
  }
  const refuse = (status: "locked" | "error", f: ReturnType<typeof finding>): Decided => ({
    op: null,
    notes: [issue(b.row!, status, f)],
  });
  if (want < have) return refuse("locked", finding("edit_slots_lowered", "edit_slots", { have }));
  if (CLOSED_BUNDLE.has(view.status)) {
    return refuse("locked", finding("edit_slots_closed", "edit_slots", { status: view.status, have }));
  }
  if (want > slotsAfter) {
    const params = { editSlots: want, videoSlots: slotsAfter, known: "tokportal" as const };
    return refuse("error", finding("edit_slots_over_video_slots", "edit_slots", params));
  }
  const quantity = want - have;
  const op: PlanOp = {
    kind: "addEditSlots",
    id: `${b.bundleRef}:addEditSlots`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    ...reasoned("edit_slots", { quantity, want, have }),
    cost: price(view.options.costs, "video_edit") * quantity,
    quantity,
  };
  return { op, notes: [] };
}

/**
 * `video_slots` is a minimum: below what TokPortal has, it is met already (slots are never removed), which
 * the changed row is told so the user does not expect fewer slots.
 */
export function noteSlotFloor(view: BundleView): RowNote | null {
  const { b, remote } = view;
  const have = remote?.videos_quantity;
  if (!remote || !b.row || b.minSlots === 0 || typeof have !== "number" || b.minSlots >= have) return null;
  if (b.fingerprint === (b.outputs["sync_fingerprint"] ?? "")) return null;
  const met = finding("video_slots_floor_met", "video_slots", { have, minSlots: b.minSlots });
  return { kind: "info", row: b.row, finding: met };
}

/**
 * The profile: always on a new bundle; on an existing one only when the bundle row changed and the account
 * was read, for the fields that differ. A profile TokPortal no longer accepts locks the row, naming each
 * differing column and what TokPortal has (the fingerprint is kept, so the next run still sees it).
 */
export function accountOp(view: BundleView): Decided {
  const { b } = view;
  const none: Decided = { op: null, notes: [] };
  if (!b.row || !b.account || view.type === "videos_only") return none;
  let reason: ReturnType<typeof reasoned> = reasoned("new_profile", {});
  if (!view.isNew) {
    const stored = b.outputs["sync_fingerprint"] ?? "";
    // The account is read for every changed row of a bundle that has one (remote.ts): null means there is
    // no account on TokPortal to compare with, or the row did not change.
    if (b.fingerprint === stored || view.account === null) return none;
    const diffs = accountDiffs(b, view.account, stored !== "");
    if (diffs.length === 0) return none;
    const status = accountStatus(view) ?? "pending";
    if (view.status !== "pending_setup" || !EDITABLE_ACCOUNT.has(status)) {
      // An uploaded picture cannot be compared: only a visible difference locks the row.
      const visible = diffs.filter((d) => d.have !== undefined);
      if (visible.length === 0) return none;
      const bundleState = EDITABLE_ACCOUNT.has(status);
      const closed = finding("profile_closed", visible.length === 1 ? visible[0]?.column : undefined, {
        state: bundleState ? "bundle" : "account",
        status: bundleState ? view.status : status,
        columns: visible.map((d) => d.column),
        have: visible.map((d) => shown(d.have ?? "")),
      });
      return { op: null, notes: [issue(b.row, "locked", closed)] };
    }
    reason = reasoned("profile_changed", { columns: diffs.map((d) => d.column) });
  }
  const body: ConfigureAccountBody = { ...b.account };
  const op: PlanOp = {
    kind: "configureAccount",
    id: `${b.bundleRef}:configureAccount`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    ...reason,
    cost: 0,
    body,
    ...(b.profilePicture ? { profilePicture: b.profilePicture } : {}),
  };
  return { op, notes: [] };
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
