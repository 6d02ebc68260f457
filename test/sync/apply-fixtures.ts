/**
 * Hand-built plans for the apply tests (the planner is tested on its own): a cold bundle is
 * create → account → batch → publish, with rows as the planner would describe them.
 */
import type { BatchVideoItem, CreateBundleBody } from "../../src/api/index.ts";
import { TokPortalClient } from "../../src/api/index.ts";
import { type ApplyOptions, applyPlan } from "../../src/sync/apply.ts";
import type { ApplyReport, MediaValue, Plan, PlannedRow, PlanOp, RowRef } from "../../src/sync/types.ts";
import type { TestEmulator } from "../support/emulator.ts";

export const PREFIX = "t-";
/** 3 days after the test clock (2026-09-01): the earliest a new account's video may be scheduled. */
export const FIRST_DATE = "2026-09-04";

export function clientFor(emu: TestEmulator, apiKey = emu.apiKey): TokPortalClient {
  // Small waits: a test must not sit out production backoffs.
  return new TokPortalClient({
    baseUrl: emu.url,
    apiKey,
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, cooldownMs: 1, maxCooldownWaits: 0 },
  });
}

export function bundleRowRef(ref: string, rowNumber: number): RowRef {
  return {
    id: `b:${ref}`,
    table: "bundles",
    rowNumbers: [rowNumber],
    key: { table: "bundles", bundleRef: ref },
  };
}

export function videoRowRef(ref: string, videoRef: string, rowNumber: number): RowRef {
  return {
    id: `v:${ref}/${videoRef}`,
    table: "videos",
    rowNumbers: [rowNumber],
    key: { table: "videos", bundleRef: ref, videoRef },
  };
}

export interface VideoSpec {
  ref: string;
  date?: string;
  media?: { video_url?: MediaValue; carousel_images?: MediaValue[] };
  item?: Partial<BatchVideoItem>;
}

export interface ColdBundleSpec {
  ref: string;
  /** First row number of this bundle's rows (bundle row; videos rows follow in the videos table). */
  row?: number;
  videos?: VideoSpec[];
  publish?: boolean;
  profilePicture?: MediaValue;
  create?: Partial<CreateBundleBody>;
}

/** Ops and rows of one bundle that does not exist yet. */
export function coldBundle(spec: ColdBundleSpec): { ops: PlanOp[]; rows: PlannedRow[] } {
  const ref = spec.ref;
  const rowNumber = spec.row ?? 2;
  const videos = spec.videos ?? [{ ref: "v1" }, { ref: "v2" }, { ref: "v3" }];
  const bundleRow = bundleRowRef(ref, rowNumber);
  const videoRows = videos.map((v, i) => videoRowRef(ref, v.ref, rowNumber + i));
  const body: CreateBundleBody = {
    bundle_type: "account_and_videos",
    platform: "tiktok",
    country: "USA",
    videos_quantity: videos.length,
    external_ref: `${PREFIX}${ref}`,
    title: `Bundle ${ref}`,
    ...spec.create,
  };
  const cost = 32 + 2 * (body.videos_quantity ?? 0);
  const op = <K extends PlanOp["kind"]>(kind: K, rows: string[], c = 0) => ({
    id: `${ref}:${kind}`,
    kind,
    bundleRef: ref,
    bundleId: null,
    rows,
    reason: "new bundle",
    cost: c,
  });
  const ops: PlanOp[] = [
    { ...op("createBundle", [bundleRow.id], cost), body },
    {
      ...op("configureAccount", [bundleRow.id]),
      body: {
        username: `user.${ref.replace(/[^a-zA-Z0-9_.]/g, "_")}`,
        visible_name: `User ${ref}`,
        biography: "Daily clips",
        ...(spec.profilePicture ? {} : { profile_picture_url: "https://cdn.example.com/p.jpg" }),
      },
      ...(spec.profilePicture ? { profilePicture: spec.profilePicture } : {}),
    },
  ];
  if (videos.length > 0) {
    ops.push({
      ...op(
        "configureVideos",
        videoRows.map((r) => r.id),
      ),
      items: videos.map((v, i) => ({
        rowId: videoRows[i]!.id,
        videoRef: v.ref,
        position: i + 1,
        item: {
          position: i + 1,
          video_type: "video",
          description: `Clip ${v.ref}`,
          target_publish_date: v.date ?? FIRST_DATE,
          video_url:
            v.media?.video_url?.kind === "file"
              ? v.media.video_url.path
              : `https://cdn.example.com/${ref}-${v.ref}.mp4`,
          external_ref: v.ref,
          ...v.item,
        },
        media: v.media ?? {},
      })),
    });
  }
  if (spec.publish !== false) ops.push({ ...op("publishBundle", [bundleRow.id]) });
  // As the planner does: everything of a new bundle depends on its creation.
  const create = ops[0]!;
  create.rows = [bundleRow.id, ...videoRows.map((r) => r.id)];
  const rows: PlannedRow[] = [
    {
      row: bundleRow,
      outcome: "synced",
      message: "",
      fingerprint: `v1-b${ref.padEnd(15, "0").slice(0, 15)}`,
      remote: {},
      ops: ops.filter((o) => o.rows.includes(bundleRow.id)).map((o) => o.id),
    },
    ...videoRows.map((r) => ({
      row: r,
      outcome: "synced" as const,
      message: "",
      fingerprint: `v1-v${r.id.length.toString().padStart(15, "0")}`,
      remote: {},
      ops: ops.filter((o) => o.rows.includes(r.id)).map((o) => o.id),
    })),
  ];
  return { ops, rows };
}

export function planOf(parts: Array<{ ops: PlanOp[]; rows: PlannedRow[] }>): Plan {
  const ops = parts.flatMap((p) => p.ops);
  const rows = parts.flatMap((p) => p.rows);
  return {
    version: 1,
    createdAt: "2026-09-01T12:00:00.000Z",
    prefix: PREFIX,
    prune: false,
    inputsFingerprint: "v1-0000000000000000",
    ops,
    rows,
    orphans: { bundles: [], videos: [] },
    totals: {
      cost: ops.reduce((s, o) => s + o.cost, 0),
      deferred: { bundles: [], cost: 0 },
      balance: null,
      maxCredits: null,
      ops: {},
      rows: { synced: rows.length, pending: 0, locked: 0, error: 0, skipped: 0 },
    },
  };
}

/** The apply's report; a refused key (what stopped it) fails the test. */
export async function applyReport(
  plan: Plan,
  client: TokPortalClient,
  options: ApplyOptions,
): Promise<ApplyReport> {
  const { report, stoppedBy } = await applyPlan(plan, client, options);
  if (stoppedBy) throw stoppedBy;
  return report;
}

export const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
