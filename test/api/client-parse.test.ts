/** The tolerant readers on their own: the shapes TokPortal is known to send, old and new. */
import { describe, expect, it } from "vitest";
import { TokPortalError } from "../../src/api/errors.ts";
import { idempotencyKey } from "../../src/api/idempotency.ts";
import {
  BatchResultSchema,
  BundleSchema,
  ChargeSchema,
  CreditBalanceSchema,
  CreditCostsSchema,
  read,
  readAccount,
  readData,
  readList,
  VideoAnalyticsSchema,
  VideoSchema,
} from "../../src/api/parse.ts";

const ctx = { operationId: "getBundle", requestId: "req_1", status: 200 };

function fails(fn: () => unknown): TokPortalError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokPortalError);
    return e as TokPortalError;
  }
  throw new Error("expected a failure");
}

describe("tolerant readers", () => {
  it("reads a bundle from data.id or data.bundle_id, keeping unknown fields", () => {
    expect(read(BundleSchema, { id: "a", status: "pending_setup" }, ctx, "data").id).toBe("a");
    const fromAlt = read(BundleSchema, { bundle_id: "b", brand_new_field: 1 }, ctx, "data");
    expect(fromAlt).toMatchObject({ id: "b", brand_new_field: 1 });
    const error = fails(() => read(BundleSchema, { status: "x" }, ctx, "data"));
    expect(error.message).toBe(
      "getBundle: cannot read TokPortal's response: data.id is missing (and so is bundle_id) (request req_1)",
    );
    expect(error).toMatchObject({ code: "UNREADABLE_RESPONSE", retryable: false, requestId: "req_1" });
  });

  it("treats an optional field of the wrong type as absent, but names a needed one", () => {
    const b = read(BundleSchema, { id: "a", videos_quantity: "many", is_published: "yes" }, ctx, "data");
    expect(b.videos_quantity).toBeUndefined();
    expect(b.is_published).toBeUndefined();
    const error = fails(() => read(VideoSchema, { position: 2, status: 7 }, ctx, "data"));
    expect(error.message).toContain("data.status is number 7");
    expect(read(VideoSchema, { position: "3", status: "pending" }, ctx, "data").position).toBe(3);
  });

  it("names the item of a list that cannot be read", () => {
    const body = { data: [{ position: 1, status: "pending" }, { status: "pending" }] };
    expect(fails(() => readList(body, VideoSchema, ctx)).message).toContain("data.1.position is missing");
    expect(fails(() => readList({ data: {} }, VideoSchema, ctx)).message).toContain("data is not a list");
    expect(fails(() => readData([], ctx)).message).toContain("not a JSON object");
    expect(fails(() => readData({ error: {} }, ctx)).message).toContain("data is missing");
  });

  it("reads the credit balance in its current and older shapes", () => {
    expect(read(CreditBalanceSchema, { total_credits: 1250 }, ctx, "data").total_credits).toBe(1250);
    expect(read(CreditBalanceSchema, { credits: 99 }, ctx, "data").total_credits).toBe(99);
    expect(read(CreditBalanceSchema, { credits: { balance: 7 } }, ctx, "data").total_credits).toBe(7);
    expect(fails(() => read(CreditBalanceSchema, {}, ctx, "data")).message).toContain(
      "total_credits is missing",
    );
  });

  it("reads credit costs nested (current) or flat (older page)", () => {
    const nested = read(
      CreditCostsSchema,
      { currency: "credits", costs: { account_creation: 32, x: "n/a" } },
      ctx,
      "data",
    );
    expect(nested.costs).toEqual({ account_creation: 32 });
    expect(read(CreditCostsSchema, { account_creation: 25, video_slot: 2 }, ctx, "data").costs).toEqual({
      account_creation: 25,
      video_slot: 2,
    });
  });

  it("reads the bundle account nested under data.account or flat", () => {
    expect(readAccount({ id: "b", status: "configured", account: { username: "u" } }, ctx)).toMatchObject({
      username: "u",
      status: "configured",
    });
    expect(readAccount({ username: "v", visible_name: "V" }, ctx)).toMatchObject({ username: "v" });
  });
});

describe("answers of a shape we have not seen", () => {
  it("reads numbers sent as numeric strings as those numbers, and null or words as not given", () => {
    const charge = read(ChargeSchema, { credits_charged: "38", credits_remaining: " 962 " }, ctx, "");
    expect(charge).toMatchObject({ credits_charged: 38, credits_remaining: 962 });
    expect(read(ChargeSchema, { credits_charged: null }, ctx, "").credits_charged).toBeNull();
    expect(read(ChargeSchema, { credits_charged: "n/a" }, ctx, "").credits_charged).toBeUndefined();
    const bundle = read(BundleSchema, { id: "a", videos_quantity: "5", edits_quantity: null }, ctx, "data");
    expect(bundle).toMatchObject({ videos_quantity: 5, edits_quantity: null });
    expect(read(CreditBalanceSchema, { total_credits: "1250" }, ctx, "data").total_credits).toBe(1250);
  });

  it("reads a metric that is null or absent as not measured, never as zero", () => {
    const a = read(
      VideoAnalyticsSchema,
      { video_id: "v", views: null, likes: "12", position: "2" },
      ctx,
      "data",
    );
    expect(a.views ?? undefined).toBeUndefined();
    expect(a.likes).toBe(12);
    expect(a.position).toBe(2);
    expect(a.comments).toBeUndefined();
  });

  it("reads a batch answer without per-item results (or not an object) as saying nothing per item", () => {
    expect(read(BatchResultSchema, "ok", ctx, "data").results).toBeUndefined();
    expect(read(BatchResultSchema, { configured: 2 }, ctx, "data").results).toBeUndefined();
    const r = read(BatchResultSchema, { results: [{ position: "2", success: true }] }, ctx, "data");
    expect(r.results?.[0]?.position).toBe(2);
  });
});

describe("idempotencyKey", () => {
  const parts = { prefix: "acme", ref: "row-1", operation: "createBundle", fingerprint: "f1" };

  it("is stable, short and header-safe", () => {
    const a = idempotencyKey(parts);
    expect(a).toBe(idempotencyKey({ ...parts }));
    expect(a).toMatch(/^tps_[0-9a-f]{32}$/);
  });

  it("changes with any part, and keeps parts apart", () => {
    const base = idempotencyKey(parts);
    for (const field of ["prefix", "ref", "operation", "fingerprint"] as const)
      expect(idempotencyKey({ ...parts, [field]: `${parts[field]}x` })).not.toBe(base);
    expect(idempotencyKey({ ...parts, prefix: "a|b", ref: "c" })).not.toBe(
      idempotencyKey({ ...parts, prefix: "a", ref: "b|c" }),
    );
  });

  it("does not carry the ref in clear", () => {
    expect(idempotencyKey({ ...parts, ref: "client-secret-campaign" })).not.toContain("client");
  });
});
