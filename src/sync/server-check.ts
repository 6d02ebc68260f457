/**
 * `plan --server-check`: each write of a plan sent to TokPortal with `X-TokPortal-Dry-Run: true`, so the
 * server runs its own validation and pricing and changes nothing: no bundle is created, no credit
 * charged. The requests are the ones the apply would send, built by the same steps (src/sync/steps/).
 * What can be checked this way:
 * - a create (it needs no bundle);
 * - the steps of a bundle that exists already, as the bundle is now: a dry run keeps no state, so a step
 *   that relies on an earlier step of the same plan (publish after configure) may be refused here and
 *   still succeed in `sync`; such answers are marked.
 * Steps of a bundle this plan creates have no bundle to be checked against, and media that must be uploaded
 * first (local files, carousel image URLs stored as storage paths) are uploaded only by `sync`: those are
 * checked locally only (the planner's own rules).
 */
import pLimit from "p-limit";
import type { TokPortalClient } from "../api/client.ts";
import type { Answered } from "../api/types.ts";
import { type Finding, type FindingCode, finding, findingText, withoutStep } from "../findings/index.ts";
import { describeError, isAuthFailure } from "./apply-errors.ts";
import { RowOutcomes } from "./apply-results.ts";
import {
  hasLocalMedia,
  initiallyConfigured,
  type KeyContext,
  type StepRequest,
  stepOf,
} from "./steps/index.ts";
import type { OpKind, Plan, PlanOp } from "./types.ts";

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
  /** The finding code of a local-only item (`needs_upload`). */
  code?: FindingCode;
}

/** What TokPortal said about one op of the plan. */
export interface OpCheck {
  op: string;
  kind: OpKind;
  bundleRef: string;
  status: CheckStatus;
  /** TokPortal's answer in words (its error message when refused), or why it was checked locally only. */
  message: string;
  /** The finding code of a refusal or of why it was checked locally only. */
  code?: FindingCode;
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A finding as a check's words and code; `local` says the op was checked locally only. */
function said(f: Finding, local = false): { message: string; code: FindingCode } {
  const text = findingText(withoutStep(f));
  return { message: local ? `checked locally only: ${text}` : text, code: f.code };
}

/** A dry-run answer that does not say it was one: the server ignored the header, and may have acted. */
function accepted(res: Answered): string {
  return res.dryRun
    ? "accepted"
    : "accepted, but TokPortal's answer does not say it was a dry run: check this bundle on TokPortal";
}

async function checkBatch(
  client: TokPortalClient,
  op: Extract<PlanOp, { kind: "configureVideos" }>,
  request: StepRequest | undefined,
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
        ...said(finding("needs_upload", undefined, { what: "item" })),
      });
    }
  }
  if (sent.length === 0 || !request) {
    return {
      ...base,
      status: "local",
      ...said(finding("needs_upload", undefined, { what: "every_item" })),
      items,
    };
  }
  try {
    const res = await request.write(client, DRY);
    const data = res.data;
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
    const charge = res.charge.credits_would_charge ?? undefined;
    return {
      ...base,
      status: refused > 0 ? "refused" : "accepted",
      message:
        refused > 0
          ? `${refused} of ${sent.length} ${sent.length === 1 ? "video" : "videos"} refused`
          : accepted(res),
      ...(charge !== undefined ? { wouldCharge: charge } : {}),
      items,
    };
  } catch (error) {
    if (isAuthFailure(error)) throw error;
    return { ...base, status: "refused", ...said(describeError(error, op.kind).finding), items };
  }
}

async function checkOp(
  client: TokPortalClient,
  op: PlanOp,
  ctx: KeyContext,
  earlier: boolean,
): Promise<OpCheck> {
  const base = { op: op.id, kind: op.kind, bundleRef: op.bundleRef, afterEarlierSteps: earlier };
  if (op.kind !== "createBundle" && !op.bundleId) {
    return { ...base, status: "local", ...said(finding("bundle_not_created_yet", undefined, {}), true) };
  }
  const requests = stepOf(op).dryRun(op as never, ctx);
  if (op.kind === "configureVideos")
    return checkBatch(client, op, Array.isArray(requests) ? requests[0] : undefined, base);
  if (!Array.isArray(requests)) return { ...base, status: "local", ...said(requests, true) };
  let charge: number | undefined;
  let last: Answered | undefined;
  try {
    for (const r of requests) {
      const res = await r.write(client, DRY);
      const c = res.charge.credits_would_charge ?? undefined;
      if (c !== undefined) charge = (charge ?? 0) + c;
      last = res;
    }
  } catch (error) {
    // A refused key is the run's failure (exit 3), not one op's.
    if (isAuthFailure(error)) throw error;
    return { ...base, status: "refused", ...said(describeError(error, op.kind).finding) };
  }
  return {
    ...base,
    status: "accepted",
    message: last ? accepted(last) : "accepted",
    ...(charge !== undefined ? { wouldCharge: charge } : {}),
  };
}

/** What a step's requests are built from in a dry run: the bundle as the plan found it. */
function dryContext(plan: Plan, book: RowOutcomes, op: PlanOp): KeyContext {
  return {
    plan,
    book,
    stored: undefined,
    bundle: {
      ref: op.bundleRef,
      id: op.bundleId ?? "",
      configured: initiallyConfigured(book, op.bundleRef),
      initial: initiallyConfigured(book, op.bundleRef),
    },
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
  const book = new RowOutcomes(plan);
  const jobs = plan.ops.map((op) => {
    const earlier = seen.has(op.bundleRef);
    seen.add(op.bundleRef);
    return limit(() => checkOp(client, op, dryContext(plan, book, op), earlier));
  });
  const ops = (await Promise.all(jobs)).map(settleDependent);
  const counts: Record<CheckStatus, number> = { accepted: 0, refused: 0, uncertain: 0, local: 0 };
  for (const o of ops) counts[o.status] += 1;
  return { counts, ops };
}
