/**
 * `plan --server-check`: each write of a plan sent to TokPortal with `X-TokPortal-Dry-Run: true`, so the
 * server runs its own validation and pricing and changes nothing (API-NOTES §1.4): no bundle is created,
 * no credit charged. What can be checked this way:
 * - a create (it needs no bundle);
 * - the steps of a bundle that exists already, as the bundle is now: a dry run keeps no state, so a step
 *   that relies on an earlier step of the same plan (publish after configure) may be refused here and
 *   still succeed in `sync`; such answers are marked.
 * Steps of a bundle this plan creates have no bundle to be checked against, and media that are local files
 * are uploaded only by `sync`: those are checked locally only (the planner's own rules).
 */
import pLimit from "p-limit";
import type { TokPortalClient } from "../api/client.ts";
import type { CallInput } from "../api/types.ts";
import { describeError, isAuthFailure } from "../sync/apply-errors.ts";
import type { ConfigureVideoItem, OpKind, Plan, PlanOp } from "../sync/types.ts";

/**
 * `uncertain`: refused as the bundle is now, but an earlier step of this plan changes that bundle first
 * (more slots, configured videos), so `sync` may well succeed; not counted as a refusal.
 */
export type CheckStatus = "accepted" | "refused" | "uncertain" | "local";

/** One batch item's answer (configureVideos). */
export interface ItemCheck {
  /** The row the item is for (a RowRef id). */
  row: string;
  position: number;
  status: CheckStatus;
  message: string;
}

/** What TokPortal said about one op of the plan. */
export interface OpCheck {
  op: string;
  kind: OpKind;
  bundleRef: string;
  status: CheckStatus;
  /** TokPortal's answer in words (its error message when refused), or why it was checked locally only. */
  message: string;
  /** `credits_would_charge` of the dry-run answer, when it had one. */
  wouldCharge?: number;
  /** The plan makes earlier writes to this bundle, which a dry run does not see. */
  afterEarlierSteps: boolean;
  /** configureVideos: per item. */
  items?: ItemCheck[];
}

export interface ServerCheck {
  /** Ops by status. */
  counts: Record<CheckStatus, number>;
  ops: OpCheck[];
}

const DRY = { dryRun: true } as const;

/** A local file among an item's media: it is uploaded only during `sync`. */
function hasLocalMedia(entry: ConfigureVideoItem): boolean {
  return (
    entry.media.video_url?.kind === "file" ||
    (entry.media.carousel_images ?? []).some((m) => m.kind === "file")
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function wouldCharge(body: unknown): number | undefined {
  const n = isObject(body) ? body.credits_would_charge : undefined;
  return typeof n === "number" ? n : undefined;
}

/** A dry-run answer that does not say it was one: the server ignored the header, and may have acted. */
function accepted(body: unknown): string {
  return isObject(body) && body.dry_run === true
    ? "accepted"
    : "accepted, but TokPortal's answer does not say it was a dry run: check this bundle on TokPortal";
}

/** The requests a step would send (one, or one per position for publishVideos), or why none can be. */
function requestsOf(op: PlanOp, bundleId: string): Array<{ opId: string; input: CallInput }> | string {
  const path = { id: bundleId };
  switch (op.kind) {
    case "createBundle":
      return [{ opId: "createBundle", input: { body: op.body } }];
    case "addVideoSlots":
      return [{ opId: "addVideoSlots", input: { path, body: { quantity: op.quantity } } }];
    case "addEditSlots":
      return [{ opId: "addEditSlots", input: { path, body: { quantity: op.quantity } } }];
    case "patchBundle":
      return [{ opId: "updateBundle", input: { path, body: op.body } }];
    case "configureAccount": {
      const picture = op.profilePicture;
      if (picture?.kind === "file") return "the profile picture is a local file, uploaded only by sync";
      const body = picture ? { ...op.body, profile_picture_url: picture.value } : op.body;
      return [{ opId: "configureBundleAccount", input: { path, body } }];
    }
    case "configureVideos":
      // Built by the caller: items with local media are left out of the batch.
      return [];
    case "patchVideo":
      return [
        { opId: "patchBundleVideo", input: { path: { ...path, position: op.position }, body: op.body } },
      ];
    case "publishBundle":
      return [{ opId: "publishBundle", input: { path } }];
    case "publishVideos":
      return op.all
        ? [{ opId: "publishAllBundleVideos", input: { path } }]
        : op.positions.map((position) => ({
            opId: "publishBundleVideo",
            input: { path: { ...path, position } },
          }));
    case "unscheduleVideo":
      return [{ opId: "unscheduleBundleVideo", input: { path: { ...path, position: op.position } } }];
  }
}

async function checkBatch(
  client: TokPortalClient,
  op: Extract<PlanOp, { kind: "configureVideos" }>,
  bundleId: string,
  base: Omit<OpCheck, "status" | "message">,
): Promise<OpCheck> {
  const items: ItemCheck[] = [];
  const sent = op.items.filter((entry) => !hasLocalMedia(entry));
  for (const entry of op.items) {
    if (hasLocalMedia(entry)) {
      items.push({
        row: entry.rowId,
        position: entry.position,
        status: "local",
        message: "a media cell is a local file, uploaded only by sync",
      });
    }
  }
  if (sent.length === 0) {
    return {
      ...base,
      status: "local",
      message: "every video has a local media file, uploaded only by sync",
      items,
    };
  }
  try {
    const res = await client.call(
      "batchConfigureBundleVideos",
      { path: { id: bundleId }, body: { videos: sent.map((e) => e.item) } },
      DRY,
    );
    const data = isObject(res.body) ? res.body.data : undefined;
    const results = isObject(data) && Array.isArray(data.results) ? data.results : [];
    const byPosition = new Map<number, Record<string, unknown>>();
    for (const r of results) if (isObject(r) && typeof r.position === "number") byPosition.set(r.position, r);
    for (const entry of sent) {
      const r = byPosition.get(entry.position);
      const error = isObject(r?.error) ? r.error : undefined;
      const ok = r?.success === true;
      items.push({
        row: entry.rowId,
        position: entry.position,
        status: ok ? "accepted" : "refused",
        message: ok
          ? "accepted"
          : r
            ? `${typeof error?.code === "string" ? `${error.code}: ` : ""}${typeof error?.message === "string" ? error.message : "refused"}`
            : `TokPortal's answer did not mention position ${entry.position}`,
      });
    }
    items.sort((a, b) => a.position - b.position);
    const refused = items.filter((i) => i.status === "refused").length;
    const charge = wouldCharge(res.body);
    return {
      ...base,
      status: refused > 0 ? "refused" : "accepted",
      message:
        refused > 0
          ? `${refused} of ${sent.length} ${sent.length === 1 ? "video" : "videos"} refused`
          : accepted(res.body),
      ...(charge !== undefined ? { wouldCharge: charge } : {}),
      items,
    };
  } catch (error) {
    if (isAuthFailure(error)) throw error;
    return { ...base, status: "refused", message: describeError(error, op.kind).text, items };
  }
}

async function checkOp(client: TokPortalClient, op: PlanOp, earlier: boolean): Promise<OpCheck> {
  const base = { op: op.id, kind: op.kind, bundleRef: op.bundleRef, afterEarlierSteps: earlier };
  if (op.kind !== "createBundle" && !op.bundleId) {
    return {
      ...base,
      status: "local",
      message: "checked locally only: the bundle does not exist yet (this plan creates it)",
    };
  }
  const bundleId = op.bundleId ?? "";
  if (op.kind === "configureVideos") return checkBatch(client, op, bundleId, base);
  const requests = requestsOf(op, bundleId);
  if (typeof requests === "string")
    return { ...base, status: "local", message: `checked locally only: ${requests}` };
  let charge: number | undefined;
  let last: unknown;
  try {
    for (const r of requests) {
      const res = await client.call(r.opId, r.input, DRY);
      const c = wouldCharge(res.body);
      if (c !== undefined) charge = (charge ?? 0) + c;
      last = res.body;
    }
  } catch (error) {
    // A refused key is the run's failure (exit 3), not one op's.
    if (isAuthFailure(error)) throw error;
    return { ...base, status: "refused", message: describeError(error, op.kind).text };
  }
  return {
    ...base,
    status: "accepted",
    message: accepted(last),
    ...(charge !== undefined ? { wouldCharge: charge } : {}),
  };
}

/** A refusal of a step that follows earlier writes of this plan to its bundle cannot be trusted either way. */
function settleDependent(check: OpCheck): OpCheck {
  if (!check.afterEarlierSteps || check.status !== "refused") return check;
  const items = check.items?.map((i) =>
    i.status === "refused" ? { ...i, status: "uncertain" as const } : i,
  );
  return { ...check, status: "uncertain", ...(items ? { items } : {}) };
}

/** Checks every op of the plan with dry-run requests; a refusal is an answer, only a refused key throws. */
export async function serverCheck(
  plan: Plan,
  client: TokPortalClient,
  options: { concurrency?: number } = {},
): Promise<ServerCheck> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const seen = new Set<string>();
  const jobs = plan.ops.map((op) => {
    const earlier = seen.has(op.bundleRef);
    seen.add(op.bundleRef);
    return limit(() => checkOp(client, op, earlier));
  });
  const ops = (await Promise.all(jobs)).map(settleDependent);
  const counts: Record<CheckStatus, number> = { accepted: 0, refused: 0, uncertain: 0, local: 0 };
  for (const o of ops) counts[o.status] += 1;
  return { counts, ops };
}
