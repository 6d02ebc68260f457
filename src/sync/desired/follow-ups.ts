/**
 * Follow-up orders, across bundles: a videos_only bundle whose `account_bundle_ref` names another bundles
 * row posts from the account that row orders, once TokPortal delivers it (the planner resolves it). Here,
 * from the sheet alone: the named row must exist, be free of errors, order an account (not be videos_only
 * itself), and the names must not go round in a circle. A follow-up that fails is blocked like any bundle
 * with errors, and its videos say so.
 */
import { type Finding, finding } from "../../findings/index.ts";
import type { RowIssue } from "../types.ts";
import type { BundleDraft, CheckedBundles } from "./bundle-cells.ts";
import { rowIssue } from "./issues.ts";

export function checkFollowUps(checked: CheckedBundles): RowIssue[] {
  const { drafts, blocked, tableRows } = checked;
  // Decided on the drafts as phase A left them, then applied: the order of rows changes nothing.
  const refused = new Map<string, Finding>();
  for (const [bundleRef, draft] of drafts) {
    const ref = draft.input.account_bundle_ref;
    if (ref === undefined || draft.type !== "videos_only") continue;
    const f = followUpProblem(bundleRef, ref, checked);
    if (f) refused.set(bundleRef, f);
  }
  const issues: RowIssue[] = [];
  for (const [bundleRef, f] of refused) {
    const draft = drafts.get(bundleRef)!;
    issues.push(rowIssue(draft.ref, f));
    drafts.delete(bundleRef);
    blocked.set(bundleRef, { rowNumbers: draft.ref.rowNumbers, derived: draft.derived, issues: [f] });
  }
  return issues;

  function followUpProblem(self: string, ref: string, c: CheckedBundles): Finding | null {
    const column = "account_bundle_ref";
    const cycle = circle(self, c.drafts);
    if (cycle) return finding("account_ref_cycle", column, { refs: cycle });
    const target = c.drafts.get(ref);
    if (!target) {
      const rows = c.blocked.get(ref)?.rowNumbers ?? tableRows.get(ref);
      if (rows) return finding("account_ref_has_errors", column, { ref, rows });
      return finding("account_ref_unknown", column, { ref });
    }
    if (target.type === "videos_only") {
      return finding("account_ref_to_videos_only", column, { ref, rows: target.ref.rowNumbers });
    }
    return null;
  }
}

/** The refs of the circle `start` is on (start → … → start), or null when its chain ends. */
function circle(start: string, drafts: ReadonlyMap<string, BundleDraft>): string[] | null {
  const chain = [start];
  let at = drafts.get(start)?.input.account_bundle_ref;
  while (at !== undefined) {
    chain.push(at);
    if (at === start) return chain;
    if (chain.indexOf(at) < chain.length - 1) return null; // a circle that start only leads into
    at = drafts.get(at)?.input.account_bundle_ref;
  }
  return null;
}
