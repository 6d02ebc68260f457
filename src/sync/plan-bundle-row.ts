/**
 * The bundles row's ops: create the bundle (priced), buy more slots, patch its settings, set its account
 * profile; and the fields fixed at creation, whose change locks the row.
 */
import type { BundleAccount, ConfigureAccountBody, PatchBundleBody } from "../api/index.ts";
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
  const slotWords = `${videosQuantity} video slot${videosQuantity === 1 ? "" : "s"}`;
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
    reason: `${quantity} more slot${quantity === 1 ? "" : "s"} ${why}`,
    cost: price(view.options.costs, "video_upload") * quantity,
    quantity,
  };
}

/** title / auto_finalize_videos differing from TokPortal (only the fields that differ). */
export function patchBundleOp(view: BundleView): PlanOp | null {
  const { b, remote } = view;
  if (!remote || !b.row || CLOSED_BUNDLE.has(view.status)) return null;
  const body: PatchBundleBody = {};
  const s = b.settings;
  if (s.title !== undefined && s.title !== (remote.title ?? "")) body.title = s.title;
  const auto = remote.auto_finalize_videos;
  if (s.auto_finalize_videos !== undefined && typeof auto === "boolean" && s.auto_finalize_videos !== auto) {
    body.auto_finalize_videos = s.auto_finalize_videos;
  }
  const fields = Object.keys(body);
  if (fields.length === 0) return null;
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
 * The profile: always on a new bundle; on an existing one only when the bundle row changed and the account
 * was read, for the fields that differ. A profile TokPortal no longer accepts locks the row.
 */
export function accountOp(view: BundleView): PlanOp | null {
  const { b } = view;
  if (!b.row || !b.account || view.type === "videos_only") return null;
  let reason = "new bundle: set the account profile";
  if (!view.isNew) {
    const stored = b.outputs["sync_fingerprint"] ?? "";
    if (b.fingerprint === stored || view.account === null) return null;
    const diffs = accountDiffs(b, view.account, stored !== "");
    if (diffs.length === 0) return null;
    const status = accountStatus(view) ?? "pending";
    if (view.status !== "pending_setup" || !EDITABLE_ACCOUNT.has(status)) {
      // An uploaded picture cannot be compared: only a visible difference locks the row.
      const visible = diffs.filter((d) => d !== FILE_PICTURE);
      if (visible.length > 0) {
        view.book.issue(
          b.row,
          "locked",
          `${where(b.row)}: the account is already ${status}; TokPortal no longer accepts profile changes (${visible.join(", ")} differ${visible.length === 1 ? "s" : ""}). Revert ${visible.length === 1 ? "that cell" : "those cells"} to what TokPortal has`,
        );
      }
      return null;
    }
    reason = `row changed: ${diffs.map((d) => (d === FILE_PICTURE ? "profile_picture" : d)).join(", ")}`;
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

const FILE_PICTURE = "profile_picture (a file)";

function accountDiffs(b: DesiredBundle, have: BundleAccount, hasStoredFingerprint: boolean): string[] {
  const want = b.account!;
  const diffs: string[] = [];
  for (const f of ["username", "visible_name", "biography", "link_in_bio"] as const) {
    const w = want[f];
    if (w !== undefined && w !== null && w !== (have[f] ?? "")) diffs.push(f);
  }
  if (
    want.profile_picture_url !== undefined &&
    want.profile_picture_url !== (have.profile_picture_url ?? "")
  ) {
    diffs.push("profile_picture");
  } else if (b.profilePicture?.kind === "file" && (hasStoredFingerprint || !have.profile_picture_url)) {
    // TokPortal re-hosts an uploaded picture, so the changed row is the only signal.
    diffs.push(FILE_PICTURE);
  }
  return diffs;
}
