/**
 * Ordering accounts, desired state and planner: warming cells (their conflict, deep warming, the term
 * rules), follow-up orders (`account_bundle_ref`) resolved to the delivered account or held pending,
 * videos-only countries, warming that cannot change, the delivered account's cells, and cancelled bundles
 * or banned accounts that get no more calls. Codes and parameters are asserted, not sentences.
 */
import { describe, expect, it } from "vitest";
import { coerceCampaign } from "../../src/sources/index.ts";
import type { SheetRow, TableName } from "../../src/sources/types.ts";
import { buildDesired } from "../../src/sync/desired.ts";
import { planSync } from "../../src/sync/plan.ts";
import type { DesiredState, Plan, PlannedRow, RowIssue } from "../../src/sync/types.ts";
import { expectFinding, expectLeadingFinding } from "../support/findings.ts";
import { actualState, planOptions, remoteBundle, slot } from "./support/builders.ts";

type Cells = Record<string, string>;

const rowsOf = (table: TableName, rows: Cells[]): SheetRow[] =>
  rows.map((cells, i) => ({ table, rowNumber: i + 2, cells }));

function desired(bundles: Cells[], videos: Cells[] = []): DesiredState {
  const campaign = coerceCampaign({
    bundles: rowsOf("bundles", bundles),
    videos: rowsOf("videos", videos),
    problems: [],
  });
  return buildDesired(campaign, {
    prefix: "t-",
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: false },
    baseDir: "/tmp",
  });
}

const V = (bundleRef: string, n: number, cells: Cells = {}): Cells => ({
  video_ref: `v${n}`,
  bundle_ref: bundleRef,
  description: `video ${n}`,
  target_publish_date: `2026-09-1${n}`,
  video_url: `https://example.com/${bundleRef}-${n}.mp4`,
  ...cells,
});

const issuesOf = (d: DesiredState, rowId: string): RowIssue[] => d.issues.filter((i) => i.row.id === rowId);
const rowOf = (plan: Plan, id: string): PlannedRow => {
  const r = plan.rows.find((x) => x.row.id === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
};

describe("warming cells", () => {
  it("advanced warming terms become wants_advanced_warming + the terms, priced 5 per term", () => {
    const d = desired(
      [{ bundle_ref: "a", country: "USA", advanced_warming_terms: "fitness; gym ;yoga" }],
      [V("a", 1)],
    );
    expect(d.issues).toEqual([]);
    const create = d.bundles.get("a")!.create!;
    expect(create).toMatchObject({
      wants_advanced_warming: true,
      advanced_warming_terms: ["fitness", "gym", "yoga"],
    });
    const plan = planSync(d, actualState([]), planOptions());
    const op = plan.ops.find((o) => o.kind === "createBundle")!;
    expect(op.cost).toBe(32 + 2 + 3 * 5);
  });

  it("a count of terms, and legacy niche warming (7 credits), are sent as TokPortal takes them", () => {
    const d = desired(
      [
        { bundle_ref: "a", country: "USA", advanced_warming_terms_count: "6" },
        { bundle_ref: "b", country: "USA", niche_warming_instructions: "Follow gym accounts" },
      ],
      [V("a", 1), V("b", 1)],
    );
    expect(d.issues).toEqual([]);
    expect(d.bundles.get("a")!.create).toMatchObject({
      wants_advanced_warming: true,
      advanced_warming_terms_count: 6,
    });
    expect(d.bundles.get("b")!.create).toMatchObject({
      wants_niche_warming: true,
      niche_warming_instructions: "Follow gym accounts",
    });
    const plan = planSync(
      d,
      actualState([]),
      planOptions({ costs: { advanced_warming: 5, niche_warming: 7 } }),
    );
    const cost = (ref: string) =>
      plan.ops.find((o) => o.kind === "createBundle" && o.bundleRef === ref)!.cost;
    expect(cost("a")).toBe(32 + 2 + 30);
    expect(cost("b")).toBe(32 + 2 + 7);
  });

  it("a row without warming sends no warming field (its create and fingerprint are as before)", () => {
    const d = desired([{ bundle_ref: "a", country: "USA" }], [V("a", 1)]);
    const create = d.bundles.get("a")!.create as Record<string, unknown>;
    for (const f of ["wants_advanced_warming", "wants_niche_warming", "advanced_warming_terms"]) {
      expect(create[f]).toBeUndefined();
    }
  });

  it("advanced and niche warming together is WARMING_CONFLICT on the later column; so are terms with a count", () => {
    const d = desired([
      {
        bundle_ref: "a",
        country: "USA",
        advanced_warming_terms: "aa;bb;cc",
        niche_warming_instructions: "x",
      },
      {
        bundle_ref: "b",
        country: "USA",
        advanced_warming_terms: "aa;bb;cc",
        advanced_warming_terms_count: "3",
      },
    ]);
    expectFinding(issuesOf(d, "b:a")[0]!, "warming_conflict", "niche_warming_instructions", {
      column: "niche_warming_instructions",
      other: "advanced_warming_terms",
    });
    expectFinding(issuesOf(d, "b:b")[0]!, "warming_conflict", "advanced_warming_terms_count", {
      column: "advanced_warming_terms_count",
      other: "advanced_warming_terms",
    });
    expect(d.bundles.size).toBe(0);
  });

  it("deep_warming = yes is DEEP_WARMING_DEPRECATED on its column; no is ignored", () => {
    const d = desired([
      { bundle_ref: "a", country: "USA", deep_warming: "yes" },
      { bundle_ref: "b", country: "USA", deep_warming: "no", video_slots: "1" },
    ]);
    expectFinding(issuesOf(d, "b:a")[0]!, "deep_warming_deprecated", "deep_warming", {});
    expect(issuesOf(d, "b:b")).toEqual([]);
  });

  it("terms: 3 to 30, a multiple of 3, each 2 to 50 characters; warming on videos_only is refused", () => {
    const d = desired([
      { bundle_ref: "a", country: "USA", advanced_warming_terms: "aa;bb;cc;dd" },
      { bundle_ref: "b", country: "USA", advanced_warming_terms: "aa;b;cc" },
      { bundle_ref: "c", country: "USA", advanced_warming_terms_count: "4" },
      {
        bundle_ref: "d",
        bundle_type: "videos_only",
        account_id: "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c",
        advanced_warming_terms_count: "3",
      },
    ]);
    expectFinding(issuesOf(d, "b:a")[0]!, "warming_terms_count", "advanced_warming_terms", { count: 4 });
    expectFinding(issuesOf(d, "b:b")[0]!, "warming_term_length", "advanced_warming_terms", { term: "b" });
    expectFinding(issuesOf(d, "b:c")[0]!, "warming_terms_count", "advanced_warming_terms_count", {
      count: 4,
    });
    expectFinding(issuesOf(d, "b:d")[0]!, "warming_on_videos_only", "advanced_warming_terms_count", {});
  });

  it("warming that differs from what TokPortal reports locks the row (warming_fixed), naming the column", () => {
    const d = desired([{ bundle_ref: "a", country: "USA", advanced_warming_terms_count: "6" }], [V("a", 1)]);
    const remote = remoteBundle("a", {
      videos_quantity: 1,
      wants_advanced_warming: true,
      advanced_warming_terms_count: 3,
    } as never);
    const plan = planSync(d, actualState([{ bundle: remote, videos: [slot(1)] }]), planOptions());
    expectFinding(rowOf(plan, "b:a"), "warming_fixed", "advanced_warming_terms_count", {
      column: "advanced_warming_terms_count",
      want: "advanced warming on 6 terms",
      have: "advanced warming on 3 terms",
    });
    expect(rowOf(plan, "b:a").outcome).toBe("locked");
    // The same warming as ordered: nothing to say.
    const same = remoteBundle("a", {
      videos_quantity: 1,
      wants_advanced_warming: true,
      advanced_warming_terms_count: 6,
    } as never);
    const again = planSync(d, actualState([{ bundle: same, videos: [slot(1)] }]), planOptions());
    expect(rowOf(again, "b:a").code).toBeUndefined();
  });
});

describe("follow-up orders (account_bundle_ref)", () => {
  const ACCOUNT = "0d1e2f3a-4b5c-6789-8abc-def012345678";
  const base = (extra: Cells = {}): Cells[] => [
    { bundle_ref: "acc", country: "USA", bundle_type: "account_only" },
    { bundle_ref: "fu", bundle_type: "videos_only", account_bundle_ref: "acc", ...extra },
  ];

  it("the sheet's errors: unknown ref, a videos_only target, both account_id and the ref, a circle, a ref on a non-videos_only row", () => {
    const d = desired([
      { bundle_ref: "acc", country: "USA", bundle_type: "account_only" },
      { bundle_ref: "u", bundle_type: "videos_only", account_bundle_ref: "nope" },
      { bundle_ref: "both", bundle_type: "videos_only", account_bundle_ref: "acc", account_id: ACCOUNT },
      { bundle_ref: "x", bundle_type: "videos_only", account_bundle_ref: "y" },
      { bundle_ref: "y", bundle_type: "videos_only", account_bundle_ref: "x" },
      { bundle_ref: "self", bundle_type: "videos_only", account_bundle_ref: "self" },
      { bundle_ref: "vo", bundle_type: "videos_only", account_id: ACCOUNT },
      { bundle_ref: "tovo", bundle_type: "videos_only", account_bundle_ref: "vo" },
      { bundle_ref: "new", country: "USA", account_bundle_ref: "acc" },
    ]);
    expectFinding(issuesOf(d, "b:u")[0]!, "account_ref_unknown", "account_bundle_ref", { ref: "nope" });
    expectFinding(issuesOf(d, "b:both")[0]!, "account_ref_and_id", "account_bundle_ref", {});
    expectFinding(issuesOf(d, "b:x")[0]!, "account_ref_cycle", "account_bundle_ref", {
      refs: ["x", "y", "x"],
    });
    expectFinding(issuesOf(d, "b:y")[0]!, "account_ref_cycle", "account_bundle_ref", {
      refs: ["y", "x", "y"],
    });
    expectFinding(issuesOf(d, "b:self")[0]!, "account_ref_cycle", "account_bundle_ref", {
      refs: ["self", "self"],
    });
    expectFinding(issuesOf(d, "b:tovo")[0]!, "account_ref_to_videos_only", "account_bundle_ref", {
      ref: "vo",
      rows: [8],
    });
    expectFinding(issuesOf(d, "b:new")[0]!, "account_ref_not_videos_only", "account_bundle_ref", {});
    expect([...d.bundles.keys()].sort()).toEqual(["acc", "vo"]);
  });

  it("a follow-up's videos are blocked with it when its ref is refused", () => {
    const d = desired(
      [{ bundle_ref: "fu", bundle_type: "videos_only", account_bundle_ref: "nope" }],
      [V("fu", 1)],
    );
    expectFinding(issuesOf(d, "v:fu/v1")[0]!, "bundle_has_errors", "bundle_ref", {
      bundleRef: "fu",
      rows: [2],
    });
  });

  it("pending while the named bundle is not ordered, or its account not delivered; nothing is sent", () => {
    const d = desired(base(), [V("fu", 1)]);
    expect(d.issues).toEqual([]);
    const first = planSync(d, actualState([]), planOptions());
    expect(first.ops.map((o) => `${o.bundleRef}:${o.kind}`)).toEqual(["acc:createBundle"]);
    expectFinding(rowOf(first, "b:fu"), "account_ref_waiting", "account_bundle_ref", {
      ref: "acc",
      rows: [2],
      accountStatus: null,
    });
    expect(rowOf(first, "b:fu").outcome).toBe("pending");
    expect(rowOf(first, "v:fu/v1").outcome).toBe("pending");
    expectLeadingFinding(rowOf(first, "v:fu/v1"), "bundle_row_blocked", undefined, {
      rows: [3],
      rowStatus: "pending",
    });

    const ordered = remoteBundle("acc", {
      bundle_type: "account_only",
      status: "published",
      account_status: "published",
    });
    const second = planSync(d, actualState([{ bundle: ordered }]), planOptions());
    expect(second.ops).toEqual([]);
    expectFinding(rowOf(second, "b:fu"), "account_ref_waiting", "account_bundle_ref", {
      ref: "acc",
      rows: [2],
      accountStatus: "published",
    });
  });

  it("resolved to the delivered saved_account_id: one create, its body the same whatever run resolves it", () => {
    const d = desired(base(), [V("fu", 1)]);
    const delivered = remoteBundle("acc", {
      bundle_type: "account_only",
      status: "accepted",
      account_status: "in_review",
      saved_account_id: ACCOUNT,
    });
    const plan = planSync(d, actualState([{ bundle: delivered }]), planOptions());
    const create = plan.ops.find((o) => o.kind === "createBundle");
    expect(create?.bundleRef).toBe("fu");
    expect(create && "body" in create ? create.body : null).toMatchObject({
      bundle_type: "videos_only",
      account_id: ACCOUNT,
      external_ref: "t-fu",
      videos_quantity: 1,
    });
    // Another run, later, with the clock moved: the very same body (so the same idempotency key).
    const later = planSync(
      d,
      actualState([{ bundle: { ...delivered, status: "completed" } }], { today: "2026-09-05" }),
      planOptions({ now: "2026-09-05T00:00:00.000Z" }),
    );
    const again = later.ops.find((o) => o.kind === "createBundle");
    expect(again && "body" in again ? again.body : null).toEqual(
      create && "body" in create ? create.body : null,
    );
  });

  it("once TokPortal has the follow-up, it is planned as itself (no resolution, no lock on account_id)", () => {
    const d = desired(base());
    const acc = remoteBundle("acc", {
      bundle_type: "account_only",
      saved_account_id: "other-account-after-remake",
    });
    const fu = remoteBundle("fu", {
      bundle_type: "videos_only",
      account_id: ACCOUNT,
      saved_account_id: ACCOUNT,
    } as never);
    const plan = planSync(d, actualState([{ bundle: acc }, { bundle: fu }]), planOptions());
    expect(rowOf(plan, "b:fu").outcome).toBe("synced");
    expect(plan.ops).toEqual([]);
  });

  it("a named bundle cancelled (or its account banned) makes the follow-up an error", () => {
    const d = desired(base());
    const acc = remoteBundle("acc", {
      bundle_type: "account_only",
      status: "cancelled",
      cancellation_reason: "validated ban",
    } as never);
    const plan = planSync(d, actualState([{ bundle: acc }]), planOptions());
    expectFinding(rowOf(plan, "b:fu"), "account_ref_cancelled", "account_bundle_ref", {
      ref: "acc",
      rows: [2],
      reason: "validated ban",
    });
  });
});

describe("countries, delivered accounts, cancelled bundles", () => {
  it("a new account in a videos-only country is an error naming country; an existing bundle is not checked", () => {
    const d = desired([{ bundle_ref: "a", country: "DE" }], [V("a", 1)]);
    const plan = planSync(d, actualState([], { videosOnlyCountries: ["DE"] }), planOptions());
    expectFinding(rowOf(plan, "b:a"), "country_videos_only", "country", { country: "DE" });
    expect(plan.ops).toEqual([]);
    expect(rowOf(plan, "v:a/v1").outcome).toBe("error");
    // Without the list (not read), TokPortal judges.
    expect(planSync(d, actualState([]), planOptions()).ops.map((o) => o.kind)).toContain("createBundle");
  });

  it("the bundles row shows saved_account_id from the bundle, and the username and URL when read", () => {
    const d = desired([{ bundle_ref: "a", country: "USA", bundle_type: "account_only" }]);
    const remote = remoteBundle("a", {
      bundle_type: "account_only",
      saved_account_id: "acct-1",
      account_status: "in_review",
    });
    const state = actualState([{ bundle: remote }]);
    state.byExternalRef.get("t-a")![0]!.delivered = {
      username: "daily.a",
      url: "https://www.tiktok.com/@daily.a",
    };
    const plan = planSync(d, state, planOptions());
    expect(rowOf(plan, "b:a").remote).toMatchObject({
      saved_account_id: "acct-1",
      account_username: "daily.a",
      account_url: "https://www.tiktok.com/@daily.a",
    });
  });

  it("a cancelled bundle: row and videos locked with TokPortal's reason, no op for it", () => {
    const d = desired(
      [{ bundle_ref: "a", country: "USA", title: "changed title" }],
      [V("a", 1, { description: "new" })],
    );
    const remote = remoteBundle("a", {
      status: "cancelled",
      videos_quantity: 1,
      cancellation_reason: "Account banned by TikTok",
    } as never);
    const plan = planSync(
      d,
      actualState([{ bundle: remote, videos: [slot(1, { external_ref: "v1" })] }]),
      planOptions(),
    );
    expect(plan.ops).toEqual([]);
    for (const id of ["b:a", "v:a/v1"]) {
      expect(rowOf(plan, id).outcome).toBe("locked");
      expectFinding(rowOf(plan, id), "bundle_cancelled", undefined, { reason: "Account banned by TikTok" });
    }
    expect(rowOf(plan, "b:a").remote).toMatchObject({ bundle_status: "cancelled", bundle_id: remote.id });
  });

  it("a banned account locks the bundle the same way, with code account_banned", () => {
    const d = desired([{ bundle_ref: "a", country: "USA", bundle_type: "account_only" }]);
    const remote = remoteBundle("a", {
      bundle_type: "account_only",
      status: "accepted",
      account_status: "banned",
    });
    const plan = planSync(d, actualState([{ bundle: remote }]), planOptions());
    expectFinding(rowOf(plan, "b:a"), "account_banned", undefined, { status: "banned", reason: null });
    expect(plan.ops).toEqual([]);
  });
});
