/**
 * The fault configuration's shape, checked with zod so a rule that cannot mean what its author intended
 * is refused with the field it concerns (400 on the admin API, a thrown error in process).
 */
import { z } from "zod";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headers = z.record(z.string().regex(HEADER_NAME, "not a header name"), z.string());
const fraction = z.number().min(0).max(1);

/** A whole answer chosen by the test: the handler does not run, nothing changes, nothing is charged. */
const responseSchema = z
  .object({
    status: z.number().int().min(200).max(599),
    headers: headers.optional(),
    /** A JSON body (any JSON value). */
    json: z.unknown().optional(),
    /** A text body (sent as text/plain unless `headers` sets a content-type). */
    text: z.string().optional(),
  })
  .strict()
  .refine((r) => !(r.json !== undefined && r.text !== undefined), "give json or text, not both");

/**
 * Changes to the real handler's answer after the work is done. They change what goes on the wire only:
 * an Idempotency-Key replay answers the real answer unless the rule matches the replay too.
 */
const csvSchema = z
  .object({
    /** Header renames, old name to new (`{"views": "View Count"}`). */
    rename: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** Columns to drop, by their name before any rename. */
    omit: z.array(z.string().min(1)).optional(),
    /** Columns to add at the end, with the value every row gets. */
    add: z.record(z.string().min(1), z.string()).optional(),
  })
  .strict();

const rewriteSchema = z
  .object({
    status: z.number().int().min(200).max(599).optional(),
    /**
     * Dotted paths to delete from the JSON body, e.g. `data.account_status`, `data.results`; a `*` segment
     * stands for every element (`data.*.saved_account_id` in a list).
     */
    omit: z.array(z.string().min(1)).optional(),
    /** Dotted paths set to these values, e.g. `{"data": "ok", "credits_charged": "38"}`. */
    set: z.record(z.string().min(1), z.unknown()).optional(),
    /** Dotted paths whose number is sent as a string, e.g. `credits_charged`, `data.results.*.position`. */
    stringify: z.array(z.string().min(1)).optional(),
    /** Edits the columns of a CSV body (the analytics export). */
    csv: csvSchema.optional(),
    /** Replaces the whole JSON body (before `omit` and `set`). */
    json: z.unknown().optional(),
    /** Replaces the whole body with text. */
    text: z.string().optional(),
    headers: headers.optional(),
    removeHeaders: z.array(z.string().regex(HEADER_NAME, "not a header name")).optional(),
  })
  .strict()
  .refine((r) => !(r.json !== undefined && r.text !== undefined), "give json or text, not both")
  .refine(
    (r) => r.text === undefined || (r.omit === undefined && r.set === undefined && r.stringify === undefined),
    { message: "omit, set and stringify edit a JSON body; they cannot follow a text body" },
  )
  .refine(
    (r) =>
      r.csv === undefined ||
      (r.json === undefined &&
        r.text === undefined &&
        r.omit === undefined &&
        r.set === undefined &&
        r.stringify === undefined),
    { message: "csv edits a CSV body; it cannot go with json, text, omit, set or stringify" },
  );

const ruleSchema = z
  .object({
    operationId: z.string().min(1).optional(),
    method: z.string().min(1).optional(),
    /** A path under /api/ext, e.g. `/bundles`; `*` stands for one segment (`/bundles/*\/publish`). */
    path: z.string().startsWith("/").optional(),
    /** Only requests that carry (true) or do not carry (false) `X-TokPortal-Dry-Run: true`. */
    dryRun: z.boolean().optional(),
    action: z.enum(["drop", "drop_after", "status", "respond", "rewrite"]),
    /** For `status`: the HTTP error status to answer (default 503). */
    status: z.number().int().min(400).max(599).optional(),
    response: responseSchema.optional(),
    rewrite: rewriteSchema.optional(),
    /** How many matching requests it applies to (default 1). */
    times: z.number().int().min(0).optional(),
    /** Every matching request. */
    always: z.boolean().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.action === "respond" && !r.response)
      ctx.addIssue({ code: "custom", path: ["response"], message: 'action "respond" needs a response' });
    if (r.action === "rewrite" && !r.rewrite)
      ctx.addIssue({ code: "custom", path: ["rewrite"], message: 'action "rewrite" needs a rewrite' });
    if (r.response && r.action !== "respond")
      ctx.addIssue({ code: "custom", path: ["response"], message: 'response goes with action "respond"' });
    if (r.rewrite && r.action !== "rewrite")
      ctx.addIssue({ code: "custom", path: ["rewrite"], message: 'rewrite goes with action "rewrite"' });
  });

export const faultConfigSchema = z
  .object({
    latencyMs: z.number().min(0).optional(),
    jitterMs: z.number().min(0).optional(),
    /** Fraction of requests answered 500/502/503 before any work. */
    errorRate: fraction.optional(),
    /** Fraction of requests whose socket is destroyed before handling. */
    dropRate: fraction.optional(),
    /** Fraction of requests handled fully, then their socket destroyed (the answer is lost). */
    dropAfterRate: fraction.optional(),
    /** Fraction of requests answered 429 RATE_LIMIT_EXCEEDED. */
    rate429: fraction.optional(),
    /** Every `everyRequests` requests, the last `length` of them are answered 429. */
    storm: z
      .object({ everyRequests: z.number().int().min(1), length: z.number().int().min(0) })
      .strict()
      .refine((s) => s.length <= s.everyRequests, "length must be <= everyRequests")
      .optional(),
    rules: z.array(ruleSchema).optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultRule = z.infer<typeof ruleSchema>;
export type FaultResponse = z.infer<typeof responseSchema>;
export type FaultRewrite = z.infer<typeof rewriteSchema>;
export type FaultCsvEdit = z.infer<typeof csvSchema>;

/** The configuration, or an error naming every offending field (`faults.rules.0.action: …`). */
export function parseFaultConfig(input: unknown): FaultConfig {
  const parsed = faultConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${["faults", ...i.path].join(".")}: ${i.message}`);
  throw new Error(issues.join("; "));
}
