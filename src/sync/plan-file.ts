/**
 * A plan as a file (Terraform's lesson): printed, saved, reviewed, applied later, but only if the sheet
 * and TokPortal are still what it was computed from. `inputsFingerprint` hashes those inputs; a fresh plan
 * with a different hash means the saved one is stale and is refused.
 */

import { createHash } from "node:crypto";
import { z } from "zod";
import { scrubSecrets } from "../api/index.ts";
import { ConfigureEntry } from "./configure-entry.ts";
import { canonicalJson, FINGERPRINT_VERSION } from "./fingerprint.ts";
import type {
  ActualBundle,
  ActualState,
  ConfigureVideoItem,
  DesiredState,
  OpKind,
  Plan,
  PlanOptions,
} from "./types.ts";

/** The saved file cannot be used: not JSON, another version, or not the shape of a plan. */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFileError";
  }
}

/** The sheet or TokPortal changed since the saved plan was made. */
export class PlanStaleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanStaleError";
  }
}

/**
 * Hash of what a plan depends on: the desired state (rows, fingerprints, the outputs it reads, issues), the remote
 * state of the bundles in play (ids, statuses, refs, dates, slot counts, update times), TokPortal's today,
 * and the options except the timestamp.
 */
export function inputsFingerprint(desired: DesiredState, actual: ActualState, options: PlanOptions): string {
  // Hashed piece by piece: one canonical text of a 100,000-row campaign would be a string of hundreds of
  // megabytes. Each row's content is already summarized by its own fingerprint.
  const h = createHash("sha256");
  const add = (value: unknown): void => {
    h.update(canonicalJson(value));
    h.update("\n");
  };
  add({
    prefix: desired.prefix,
    today: actual.today,
    options: {
      prune: options.prune,
      costs: options.costs,
      balance: options.balance,
      maxCredits: options.maxCredits,
    },
    bundleRefsWithoutRow: desired.bundleRefsWithoutRow,
  });
  for (const b of desired.bundles.values()) {
    // Written out field by field rather than as canonical JSON of arrays: the same text for the same
    // inputs, without building and sorting a copy of every row (most of what a 100,000-row plan allocated).
    let text = `${q(b.row?.id)},${q(b.bundleRef)},${q(b.fingerprint)},${b.publish},${plannedOutputs(b.outputs)},${canonicalJson(b.accountReview ?? null)},${b.pullBack ?? false}`;
    for (const v of b.videos) {
      text += `\n ${q(v.row.id)},${q(v.fingerprint)},${v.position ?? null},${v.publish},${plannedOutputs(v.outputs)},${v.review ? canonicalJson(v.review) : "null"},${v.pullBack ?? false}`;
    }
    h.update(text);
    h.update("\n");
  }
  for (const i of desired.issues) add([i.row.id, i.status, i.column ?? null, i.message]);
  for (const ref of [...actual.byExternalRef.keys()].sort()) {
    add([ref, (actual.byExternalRef.get(ref) ?? []).map(remoteSummary)]);
  }
  add(actual.orphanBundles.map((b) => [b.id, b.external_ref ?? null]));
  return `${FINGERPRINT_VERSION}-${h.digest("hex").slice(0, 16)}`;
}

/**
 * The output cells the planner reads. Others (analytics, synced_at, statuses) are rewritten by every run
 * and by cron, and do not change what the plan does. The media marker (`m:` in `review_marker`) is read as
 * part of `review_marker`; the row's own marker derives from its cells, which its fingerprint covers.
 */
const PLANNED_OUTPUTS = ["sync_fingerprint", "credits_charged", "review_marker"];
function plannedOutputs(outputs: Record<string, string>): string {
  let text = "";
  for (const k of PLANNED_OUTPUTS) text += `${q(outputs[k])};`;
  return text;
}

/** A string (or its absence) as JSON text, so no value can pass for a separator. */
const q = (value: string | null | undefined): string => (value == null ? "null" : JSON.stringify(value));

function remoteSummary(a: ActualBundle): unknown {
  const b = a.bundle;
  return {
    id: b.id,
    status: b.status,
    external_ref: b.external_ref,
    bundle_type: b.bundle_type,
    platform: b.platform,
    country: b.country,
    title: b.title,
    auto_finalize_videos: b.auto_finalize_videos,
    account_status: b.account_status,
    saved_account_id: b.saved_account_id,
    videos_quantity: b.videos_quantity,
    updated_at: b.updated_at,
    videos: a.videos?.map((v) => ({
      position: v.position,
      id: v.id,
      status: v.status,
      external_ref: v.external_ref,
      name: v.name,
      video_type: v.video_type,
      description: v.description,
      target_publish_date: v.target_publish_date,
      updated_at: (v as Record<string, unknown>)["updated_at"],
    })),
    account: a.account && {
      status: a.account.status,
      username: a.account.username,
      visible_name: a.account.visible_name,
      biography: a.account.biography,
      profile_picture_url: a.account.profile_picture_url,
      link_in_bio: a.account.link_in_bio,
    },
  };
}

const TOP_LEVEL: ReadonlyArray<keyof Plan> = [
  "version",
  "createdAt",
  "prefix",
  "prune",
  "inputsFingerprint",
  "totals",
  "orphans",
  "ops",
  "rows",
];

/**
 * Pretty JSON, top-level keys in a fixed order (the summary before the details). A plan holds sheet
 * content, never credentials; text that looks like an API key is refused rather than written to disk.
 */
export function serializePlan(plan: Plan): string {
  const ordered: Record<string, unknown> = {};
  for (const k of TOP_LEVEL) ordered[k] = plan[k];
  const text = `${JSON.stringify(ordered, null, 2)}\n`;
  if (scrubSecrets(text) !== text) throw secretInPlan();
  return text;
}

function secretInPlan(): PlanFileError {
  return new PlanFileError(
    "The plan contains text that looks like a TokPortal API key (in a sheet cell?); it is not written. Remove the key from the sheet and plan again.",
  );
}

/**
 * Refuses a plan holding text that looks like an API key (or a secret the client knows) in any string or
 * object key: the check `serializePlan` makes, without writing the plan's JSON. Each string is checked on
 * its own (a key split across two strings is no leak), so an escape JSON would put before a key cannot hide it.
 */
export function assertNoSecrets(value: unknown): void {
  // Strings are scrubbed in batches: one scrubSecrets call per string would cost more than the walk.
  // "\n" between them is no word character, so each string's ends stay word boundaries, as on their own.
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    const text = batch.join("\n");
    if (scrubSecrets(text) !== text) throw secretInPlan();
    batch = [];
    size = 0;
  };
  const add = (s: string) => {
    batch.push(s);
    size += s.length + 1;
    // Batches under V8's large-object size (plan-run.ts says why), even as two-byte text.
    if (size >= 1 << 15) flush();
  };
  const keys = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") add(v);
    else if (typeof v !== "object" || v === null) return;
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") walk(toJSON.call(v));
      else
        for (const k of Object.keys(v)) {
          // Keys repeat in every op and row: each is checked once.
          if (!keys.has(k)) {
            keys.add(k);
            add(k);
          }
          walk((v as Record<string, unknown>)[k]);
        }
    }
  };
  walk(value);
  flush();
}

/**
 * The text of `serializePlan` (plus `extra` keys after the plan's, as `--json` adds `serverCheck`), in
 * pieces of at most a thousand ops or rows, so a large plan is printed without holding its whole JSON. Checks
 * nothing: call `assertNoSecrets` first.
 */
export function* planJsonPieces(plan: Plan, extra: Record<string, unknown> = {}): Generator<string> {
  const entries: Array<[string, unknown]> = TOP_LEVEL.map((k) => [k, plan[k]]);
  entries.push(...Object.entries(extra));
  let first = true;
  yield "{";
  for (const [k, v] of entries) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    yield `${first ? "" : ","}\n  ${JSON.stringify(k)}: `;
    first = false;
    if (Array.isArray(v) && v.length > 0) {
      yield "[";
      // Fifty items per stringify: as fast as one call, and each text small enough to die young (a large
      // object lives until a full collection).
      for (let i = 0; i < v.length; i += 50) {
        const text = JSON.stringify(v.slice(i, i + 50), null, 2); // "[\n  item,\n  item\n]"
        yield `${i > 0 ? "," : ""}\n  ${text.slice(2, -2).replaceAll("\n", "\n  ")}`;
      }
      yield "\n  ]";
    } else yield indented(v, "  ");
  }
  yield first ? "}\n" : "\n}\n";
}

/** `JSON.stringify(value, null, 2)` as it reads nested at `indent` (raw newlines are only its layout's). */
function indented(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return text.replaceAll("\n", `\n${indent}`);
}

const OP_KINDS = [
  "createBundle",
  "addVideoSlots",
  "addEditSlots",
  "patchBundle",
  "configureAccount",
  "configureVideos",
  "patchVideo",
  "publishBundle",
  "publishVideos",
  "unscheduleVideo",
  "finalizeVideo",
  "requestVideoCorrections",
  "finalizeAccount",
  "requestAccountCorrections",
  "fixDownload",
  "unpublishBundle",
] as const satisfies readonly OpKind[];

const STATUS = z.enum(["synced", "pending", "locked", "error", "skipped"]);
const body = z.record(z.string(), z.unknown());
const rowRef = z.object({
  id: z.string(),
  table: z.enum(["bundles", "videos"]),
  rowNumbers: z.array(z.number().int()),
  key: z.record(z.string(), z.unknown()),
});
const opBase = {
  id: z.string(),
  bundleRef: z.string(),
  bundleId: z.string().nullable(),
  rows: z.array(z.string()),
  reason: z.string(),
  // Absent from plan files saved before ops carried their reason's code.
  reasonCode: z.string().optional(),
  reasonParams: body.optional(),
  cost: z.number().nonnegative(),
};
const position = z.number().int().positive();
const opSchema = z.discriminatedUnion("kind", [
  z.looseObject({ kind: z.literal("createBundle"), ...opBase, body }),
  z.looseObject({ kind: z.literal("addVideoSlots"), ...opBase, quantity: position }),
  z.looseObject({ kind: z.literal("addEditSlots"), ...opBase, quantity: position }),
  z.looseObject({ kind: z.literal("patchBundle"), ...opBase, body }),
  z.looseObject({ kind: z.literal("configureAccount"), ...opBase, body, profilePicture: body.optional() }),
  z.looseObject({
    kind: z.literal("configureVideos"),
    ...opBase,
    items: z.array(
      z.looseObject({
        rowId: z.string(),
        videoRef: z.string(),
        position,
        item: z.looseObject({ position }),
        media: body,
      }),
    ),
  }),
  z.looseObject({ kind: z.literal("patchVideo"), ...opBase, position, body }),
  z.looseObject({ kind: z.literal("publishBundle"), ...opBase }),
  z.looseObject({
    kind: z.literal("publishVideos"),
    ...opBase,
    positions: z.array(position),
    all: z.boolean(),
  }),
  z.looseObject({ kind: z.literal("unscheduleVideo"), ...opBase, position }),
  z.looseObject({ kind: z.literal("finalizeVideo"), ...opBase, position }),
  z.looseObject({
    kind: z.literal("requestVideoCorrections"),
    ...opBase,
    position,
    comment: z.string(),
    fields: z.record(z.string(), z.boolean()),
    marker: z.string(),
  }),
  z.looseObject({ kind: z.literal("finalizeAccount"), ...opBase }),
  z.looseObject({
    kind: z.literal("requestAccountCorrections"),
    ...opBase,
    comment: z.string(),
    fields: z.record(z.string(), z.boolean()),
    marker: z.string(),
  }),
  z.looseObject({ kind: z.literal("fixDownload"), ...opBase, position, media: body, body }),
  z.looseObject({ kind: z.literal("unpublishBundle"), ...opBase }),
]);
const planSchema = z.looseObject({
  version: z.literal(1),
  createdAt: z.string(),
  prefix: z.string(),
  prune: z.boolean(),
  inputsFingerprint: z.string().min(1),
  ops: z.array(opSchema),
  rows: z.array(
    z.looseObject({
      row: rowRef,
      outcome: STATUS,
      message: z.string(),
      code: z.string().optional(),
      column: z.string().optional(),
      fingerprint: z.string().nullable(),
      remote: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
      ops: z.array(z.string()),
    }),
  ),
  orphans: z.object({ bundles: z.array(z.string()), videos: z.array(z.string()) }),
  totals: z.looseObject({
    cost: z.number(),
    deferred: z.object({ bundles: z.array(z.string()), cost: z.number() }),
    balance: z.number().nullable(),
    maxCredits: z.number().nullable(),
    ops: z.record(z.string(), z.number()),
    rows: z.record(z.string(), z.number()),
  }),
});

/** Reads a saved plan; anything that is not a version-1 plan is refused with what is wrong. */
export function parsePlanFile(text: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(
      `The plan file is not valid JSON (${(err as Error).message}); save the plan again.`,
    );
  }
  if (typeof value === "object" && value !== null && "version" in value && value.version !== 1) {
    throw new PlanFileError(
      `The plan file has version ${JSON.stringify(value.version)}, and this tokportal-sync reads version 1; make the plan again with this version.`,
    );
  }
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? issue.path.join(".") : "the top level";
    const kinds = issue?.path.includes("kind") ? ` (known kinds: ${OP_KINDS.join(", ")})` : "";
    throw new PlanFileError(
      `The plan file is not a tokportal-sync plan: ${at}: ${issue?.message ?? "invalid"}${kinds}. Save the plan again.`,
    );
  }
  const ids = new Set<string>();
  for (const op of parsed.data.ops) {
    if (ids.has(op.id))
      throw new PlanFileError(`The plan file lists operation ${op.id} twice; save the plan again.`);
    ids.add(op.id);
  }
  // The value as read (validated), not zod's copy: its key order is the file's, so a re-save is identical.
  // Configure items are held as the planner holds them; written again, they give the same text.
  const plan = value as Plan;
  for (const op of plan.ops) if (op.kind === "configureVideos") op.items = op.items.map(asEntry);
  return plan;
}

/** A configure item as read from a file, held as the planner holds one (src/sync/configure-entry.ts). */
function asEntry(read: ConfigureVideoItem): ConfigureEntry {
  const { position: _sent, ...item } = read.item as ConfigureVideoItem["item"] & { position?: number };
  return new ConfigureEntry(read.rowId, read.videoRef, read.position, item, read.media);
}

/** Refuses a saved plan whose inputs are no longer today's (the sheet or TokPortal changed since). */
export function assertPlanCurrent(saved: Plan, fresh: Plan): void {
  if (saved.inputsFingerprint === fresh.inputsFingerprint && saved.prefix === fresh.prefix) return;
  const now = `${fresh.ops.length} operation${fresh.ops.length === 1 ? "" : "s"} costing ${fresh.totals.cost} credits`;
  const then = `${saved.ops.length} costing ${saved.totals.cost}`;
  throw new PlanStaleError(
    `The saved plan was made at ${saved.createdAt} from a different sheet or TokPortal state, so it is not applied (a fresh plan has ${now}; the saved one ${then}). Run \`plan\` again and review the new plan.`,
  );
}
