/**
 * The doctor's run: the reads, then every kind of write the sync makes, sent as dry runs, each answer
 * judged against what the sync relies on. Nothing here can change the account: the writes go through
 * `DoctorCalls.dryRun`, and the first write is an edit that changes nothing even if TokPortal ignored the
 * dry-run header; if an answer does not say it was a dry run, no further write is sent.
 */
import { z } from "zod";
import {
  AccountSchema,
  AddSlotsSchema,
  BatchResultSchema,
  type Bundle,
  BundleSchema,
  CreditBalanceSchema,
  CreditCostsSchema,
  isObject,
  PublishAllSchema,
  PublishBundleSchema,
  PublishVideoSchema,
  UploadedImageSchema,
  UploadedVideoSchema,
  type Video,
  VideoSchema,
} from "../api/parse.ts";
import { METRIC_COLUMNS } from "../sync/analytics-join.ts";
import type { DoctorCalls, DryWriteOp, Reply } from "./calls.ts";
import { type CheckCode, type CheckResult, type Finding, outcomeOf } from "./checks.ts";
import { dryRunFindings, inspectCsvHeader, inspectList, inspectObject, type ObjectSpec } from "./inspect.ts";
import { columnsShape, shapeOf } from "./shape.ts";

/** Bundle fields the sync uses beyond its id (planning, locks, analytics fallback). */
const BUNDLE_USES = [
  "external_ref",
  "status",
  "bundle_type",
  "platform",
  "country",
  "videos_quantity",
  "edits_quantity",
  "account_status",
  "saved_account_id",
] as const;
/** Without these the sync cannot match rows to bundles or judge what may still change. */
const BUNDLE_CRITICAL = ["external_ref", "status"] as const;
const VIDEO_USES = ["id", "external_ref", "video_type", "target_publish_date", "platform_url"] as const;
const ACCOUNT_USES = ["username", "visible_name", "biography", "profile_picture_url"] as const;
/** The prices the planner reads; any missing one is taken from the standard table. */
const COST_USES = ["costs.account_creation", "costs.video_upload", "costs.video_edit"] as const;

/** Countries are not read by the sync's client yet; this is the least it would need of them. */
const CountrySchema = z.looseObject({ code: z.string().min(1) });

/** The account's profile, nested in `data.account` (documented) or flat in `data`, as the sync reads it. */
function accountView(data: unknown): { value: unknown; at: string } {
  return isObject(data) && isObject(data.account)
    ? { value: data.account, at: "data.account" }
    : { value: data, at: "data" };
}

/** The smallest files the upload endpoints take; a dry run stores nothing. */
const TINY_MP4 = new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 109, 112, 52, 50, 0, 0, 0, 0]);
const TINY_PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "base64",
  ),
);

export const DOCTOR_REF = "tokportal-sync-doctor";

export interface DoctorRun {
  results: CheckResult[];
  /** TokPortal refused the key: the run stopped there. */
  keyRefused: boolean;
}

class Results {
  readonly list: CheckResult[] = [];
  add(code: CheckCode, result: Omit<CheckResult, "code">): CheckResult {
    const r = { code, ...result };
    this.list.push(r);
    return r;
  }
  notChecked(code: CheckCode, finding: Finding): void {
    this.add(code, { outcome: "not_checked", findings: [finding] });
  }
}

/** A refusal's result: the key (stop), our own probe, no answer, or TokPortal's refusal as things are. */
function refusedResult(reply: Extract<Reply, { ok: false }>): Omit<CheckResult, "code"> {
  if (reply.auth)
    return { outcome: "key_refused", findings: [{ code: "key_refused" }], status: reply.status };
  if (reply.local) return { outcome: "not_checked", findings: [{ code: "local_probe" }] };
  if (reply.status === null || reply.status >= 500 || reply.status === 429)
    return {
      outcome: "failed",
      findings: [{ code: "unanswered", subject: reply.code }],
      status: reply.status,
    };
  if (!reply.enveloped)
    return {
      outcome: "differs",
      findings: [{ code: "error_not_enveloped", severity: "differs" }],
      status: reply.status,
    };
  return {
    outcome: "refused",
    findings: [{ code: "refused_as_is", subject: reply.code }],
    status: reply.status,
  };
}

function judged(reply: Extract<Reply, { ok: true }>, findings: Finding[]): Omit<CheckResult, "code"> {
  return { outcome: outcomeOf(findings), findings, status: reply.status, shape: shapeOf(reply.body) };
}

/** A date `days` after TokPortal's today (its clock, else ours), as YYYY-MM-DD. */
function dayAfter(now: number, days: number): string {
  return new Date(now + days * 86_400_000).toISOString().slice(0, 10);
}

function parsedList<S extends z.ZodType>(body: unknown, schema: S): z.output<S>[] {
  const data = isObject(body) && Array.isArray(body.data) ? body.data : [];
  const out: z.output<S>[] = [];
  for (const item of data) {
    const r = schema.safeParse(item);
    if (r.success) out.push(r.data);
  }
  return out;
}

export async function runDoctor(calls: DoctorCalls): Promise<DoctorRun> {
  const results = new Results();
  const stopped = (): DoctorRun => ({ results: results.list, keyRefused: true });

  // --- The key, and the headers every answer carries -------------------------------------------------
  const me = await calls.read("getCurrentUser");
  if (!me.ok) {
    const r = refusedResult(me);
    results.add("key", r);
    if (r.outcome === "key_refused") return stopped();
    // Nothing answered at all (network, timeout): every other check would only wait for the same.
    if (me.status === null && !me.local) return { results: results.list, keyRefused: false };
  } else {
    results.add("key", { outcome: "ok", findings: [], status: me.status });
    const rl = me.rateLimit;
    const missing: Finding[] = [];
    if (rl.limit === null)
      missing.push({ code: "no_header", subject: "X-RateLimit-Limit", severity: "differs" });
    if (rl.remaining === null)
      missing.push({ code: "no_header", subject: "X-RateLimit-Remaining", severity: "differs" });
    if (rl.reset === null)
      missing.push({ code: "no_header", subject: "X-RateLimit-Reset", severity: "differs" });
    results.add("headers.rate_limit", { outcome: outcomeOf(missing), findings: missing });
    const date: Finding[] =
      calls.serverNow() !== null ? [] : [{ code: "no_header", subject: "Date", severity: "differs" }];
    results.add("headers.date", { outcome: outcomeOf(date), findings: date });
    results.add("read.me", judged(me, inspectObject(me.body, { schema: z.looseObject({}) })));
  }

  // --- Reads ------------------------------------------------------------------------------------------
  const readObject = async (code: CheckCode, reply: Reply, spec: ObjectSpec): Promise<boolean> => {
    const r = reply.ok ? judged(reply, inspectObject(reply.body, spec)) : refusedResult(reply);
    results.add(code, r);
    return r.outcome !== "key_refused";
  };
  if (
    !(await readObject("read.balance", await calls.read("getCreditBalance"), { schema: CreditBalanceSchema }))
  )
    return stopped();
  const costs = await calls.read("getCreditCosts");
  if (!(await readObject("read.credit_costs", costs, { schema: CreditCostsSchema, uses: COST_USES })))
    return stopped();

  const countries = await calls.read("listCountries");
  let country = "USA";
  if (countries.ok) {
    results.add("read.countries", judged(countries, inspectList(countries.body, { item: CountrySchema })));
    country = parsedList(countries.body, CountrySchema)[0]?.code ?? country;
  } else {
    const r = refusedResult(countries);
    results.add("read.countries", r);
    if (r.outcome === "key_refused") return stopped();
  }

  const list = await calls.read("listBundles", { query: { page: 1, per_page: 100 } });
  let bundle: Bundle | null = null;
  if (list.ok) {
    results.add(
      "read.bundles",
      judged(
        list,
        inspectList(list.body, {
          item: BundleSchema,
          uses: BUNDLE_USES,
          critical: BUNDLE_CRITICAL,
          paginated: true,
        }),
      ),
    );
    const bundles = parsedList(list.body, BundleSchema);
    // A bundle still in setup takes every kind of write; any other still shows the answers' shapes.
    bundle = bundles.find((b) => b.status === "pending_setup") ?? bundles[0] ?? null;
  } else {
    const r = refusedResult(list);
    results.add("read.bundles", r);
    if (r.outcome === "key_refused") return stopped();
  }

  let videos: Video[] = [];
  if (!bundle) {
    results.notChecked("read.videos", { code: "no_bundle" });
    results.notChecked("read.account", { code: "no_bundle" });
  } else {
    const path = { id: bundle.id };
    const v = await calls.read("listBundleVideos", { path });
    if (v.ok) {
      results.add("read.videos", judged(v, inspectList(v.body, { item: VideoSchema, uses: VIDEO_USES })));
      videos = parsedList(v.body, VideoSchema).sort((a, b) => a.position - b.position);
    } else if (refusedOrStop("read.videos", v)) return stopped();
    if (bundle.bundle_type === "videos_only") results.notChecked("read.account", { code: "videos_only" });
    else {
      const a = await calls.read("getBundleAccount", { path });
      if (a.ok)
        results.add(
          "read.account",
          judged(a, inspectObject(a.body, { schema: AccountSchema, uses: ACCOUNT_USES, view: accountView })),
        );
      else if (refusedOrStop("read.account", a)) return stopped();
    }
  }

  const exp = await calls.read("exportAnalyticsVideos");
  if (exp.ok) {
    const header = inspectCsvHeader(exp.body, exp.contentType, METRIC_COLUMNS);
    results.add("read.analytics_export", {
      outcome: outcomeOf(header.findings),
      findings: header.findings,
      status: exp.status,
      shape: { columns: columnsShape(header.columns) },
    });
  } else if (exp.status === 403 && !exp.auth) {
    results.add("read.analytics_export", {
      outcome: "refused",
      findings: [{ code: "not_in_plan", subject: exp.code }],
      status: exp.status,
    });
  } else if (refusedOrStop("read.analytics_export", exp)) return stopped();

  // --- Writes, as dry runs ----------------------------------------------------------------------------
  let writesStopped = false;
  /** Sends one dry run and judges it; false when the key was refused. */
  const dry = async (
    code: CheckCode,
    op: DryWriteOp,
    input: Parameters<DoctorCalls["dryRun"]>[1],
    spec: ObjectSpec | null,
    charging = false,
  ): Promise<boolean> => {
    if (writesStopped) {
      results.notChecked(code, { code: "writes_stopped" });
      return true;
    }
    const reply = await calls.dryRun(op, input);
    if (!reply.ok) return !refusedOrStop(code, reply);
    const marker = dryRunFindings(reply.body, charging);
    if (marker.some((f) => f.code === "no_dry_run_marker")) writesStopped = true;
    const body = spec ? inspectObject(reply.body, spec) : inspectObject(reply.body, { schema: z.unknown() });
    results.add(code, judged(reply, [...marker, ...body]));
    return true;
  };

  // First an edit that changes nothing even if the dry-run header were ignored.
  if (!bundle) results.notChecked("write.patch_bundle", { code: "no_bundle" });
  else {
    const same =
      typeof bundle.auto_finalize_videos === "boolean"
        ? { auto_finalize_videos: bundle.auto_finalize_videos }
        : typeof bundle.title === "string" && bundle.title !== ""
          ? { title: bundle.title }
          : null;
    if (!same) results.notChecked("write.patch_bundle", { code: "no_unchanged_value" });
    else if (
      !(await dry(
        "write.patch_bundle",
        "updateBundle",
        { path: { id: bundle.id }, body: same },
        {
          schema: BundleSchema,
          uses: BUNDLE_USES,
        },
      ))
    )
      return stopped();
  }

  const create = {
    bundle_type: "account_and_videos",
    platform: "tiktok",
    country,
    videos_quantity: 1,
    external_ref: DOCTOR_REF,
    title: "tokportal-sync doctor (dry run)",
  };
  if (!(await dry("write.create_bundle", "createBundle", { body: create }, { schema: BundleSchema }, true)))
    return stopped();

  const bundleWrites: CheckCode[] = [
    "write.add_video_slots",
    "write.add_edit_slots",
    "write.configure_account",
    "write.configure_videos",
    "write.patch_video",
    "write.publish_bundle",
    "write.publish_video",
    "write.publish_all",
    "write.upload_video",
    "write.upload_image",
  ];
  if (!bundle) {
    for (const code of bundleWrites) results.notChecked(code, { code: "no_bundle" });
  } else {
    const path = { id: bundle.id };
    // Lead time is counted in TokPortal's day (a sandbox's clock is simulated).
    const now = calls.serverNow() ?? Date.now();
    const pending = videos.find((v) => v.status === "pending") ?? videos[0];
    const position = pending?.position ?? 1;
    const steps: Array<() => Promise<boolean>> = [
      () =>
        dry(
          "write.add_video_slots",
          "addVideoSlots",
          { path, body: { quantity: 1 } },
          { schema: AddSlotsSchema },
          true,
        ),
      () => dry("write.add_edit_slots", "addEditSlots", { path, body: { quantity: 1 } }, null, true),
      () =>
        bundle?.bundle_type === "videos_only"
          ? skip("write.configure_account", "videos_only")
          : dry(
              "write.configure_account",
              "configureBundleAccount",
              { path, body: { username: "tps_doctor_check", visible_name: "Doctor check" } },
              { schema: AccountSchema, view: accountView },
            ),
      () => {
        const item: Record<string, unknown> = {
          position,
          video_type: "video",
          description: "tokportal-sync doctor check (dry run)",
          target_publish_date: dayAfter(now, 7),
          video_url: "https://example.com/tokportal-sync-doctor.mp4",
        };
        if (bundle?.platform === "instagram") item.instagram_content_type = "reel";
        return dryBatch(path, item);
      },
      () => {
        const video = pending;
        if (!video) return skip("write.patch_video", "no_video");
        const same = video.name ? { name: video.name } : { name: `Video ${video.position}` };
        return dry(
          "write.patch_video",
          "patchBundleVideo",
          { path: { ...path, position: video.position }, body: same },
          { schema: VideoSchema, uses: ["status"] },
        );
      },
      () => dry("write.publish_bundle", "publishBundle", { path }, { schema: PublishBundleSchema }),
      () => {
        const video = videos.find((v) => v.status === "configured") ?? pending;
        if (!video) return skip("write.publish_video", "no_video");
        return dry(
          "write.publish_video",
          "publishBundleVideo",
          { path: { ...path, position: video.position } },
          { schema: PublishVideoSchema },
        );
      },
      () => dry("write.publish_all", "publishAllBundleVideos", { path }, { schema: PublishAllSchema }),
      () =>
        dry(
          "write.upload_video",
          "uploadVideoDirect",
          {
            form: {
              file: { data: TINY_MP4, filename: `${DOCTOR_REF}.mp4`, contentType: "video/mp4" },
              bundle_id: bundle?.id,
            },
          },
          { schema: UploadedVideoSchema },
        ),
      () =>
        dry(
          "write.upload_image",
          "uploadImageDirect",
          {
            form: {
              file: { data: TINY_PNG, filename: `${DOCTOR_REF}.png`, contentType: "image/png" },
              bundle_id: bundle?.id,
              purpose: "carousel",
            },
          },
          { schema: UploadedImageSchema },
        ),
    ];
    for (const step of steps) if (!(await step())) return stopped();
  }
  results.notChecked("write.upload_presigned", { code: "outside_dry_run" });
  results.notChecked("write.upload_from_url", { code: "needs_image_url" });
  results.notChecked("write.unschedule", { code: "destructive" });
  return { results: results.list, keyRefused: false };

  // --- helpers sharing this run's state -----------------------------------------------------------------

  /** Records a refusal; true when it was the key's (the run stops). */
  function refusedOrStop(code: CheckCode, reply: Extract<Reply, { ok: false }>): boolean {
    const r = results.add(code, refusedResult(reply));
    return r.outcome === "key_refused";
  }

  async function skip(code: CheckCode, why: Finding["code"]): Promise<boolean> {
    results.notChecked(code, { code: why });
    return true;
  }

  /** The batch answer: without per-item `results` the sync reads the slots back instead (a difference). */
  async function dryBatch(path: { id: string }, item: Record<string, unknown>): Promise<boolean> {
    const code: CheckCode = "write.configure_videos";
    if (writesStopped) return skip(code, "writes_stopped");
    const reply = await calls.dryRun("batchConfigureBundleVideos", { path, body: { videos: [item] } });
    if (!reply.ok) return !refusedOrStop(code, reply);
    const findings = dryRunFindings(reply.body, true);
    if (findings.some((f) => f.code === "no_dry_run_marker")) writesStopped = true;
    const data = isObject(reply.body) ? reply.body.data : undefined;
    if (!isObject(reply.body) || !("data" in reply.body))
      findings.push({ code: "no_envelope", severity: "unreadable" });
    else if (!isObject(data) || !Array.isArray(data.results))
      findings.push({ code: "no_results", subject: "data.results", severity: "differs" });
    else findings.push(...inspectObject(reply.body, { schema: BatchResultSchema }));
    results.add(code, judged(reply, findings));
    return true;
  }
}
