/**
 * createBundle: the paid order of an account (and its first slots). The key is the body alone, so a rerun
 * after a crash replays the create instead of buying a second bundle; a bundle TokPortal already has under
 * the same ref (409 DUPLICATE_ACCOUNT_BUNDLE) is adopted, not bought again.
 */
import { sameCode, TokPortalError } from "../../api/errors.ts";
import type { Bundle } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { bookCharge, bundleRowOf, mergeBundle } from "./settle.ts";
import type { OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"createBundle">;

function request(op: Op): StepRequest<Bundle> {
  return {
    write: (api, options) => api.bundles.create(op.body, options),
    key: { ref: op.bundleRef, content: [null, op.body] },
  };
}

export const createBundle: Step<"createBundle"> = {
  charged: true,
  dryRun: (op) => [request(op)],
  async run(op, ctx) {
    const bundleRow = bundleRowOf(ctx, op);
    try {
      const res = await ctx.send(request(op));
      const created = res.data;
      ctx.bundle.id = created.id;
      const outcome = bookCharge(ctx, op, res);
      mergeBundle(ctx.book, op, created);
      return {
        ...outcome,
        ...(res.replayed && !res.thisRun ? { message: "replayed: TokPortal had already created it" } : {}),
      };
    } catch (error) {
      const existing = duplicateOf(error);
      if (!existing) throw error;
      ctx.bundle.id = existing.id;
      for (const rowId of op.rows) {
        if (!rowId.startsWith("b:")) continue;
        ctx.book.merge(rowId, { bundle_id: existing.id, bundle_status: existing.status ?? undefined }, false);
      }
      if (bundleRow) {
        const externalRef = op.body.external_ref ?? op.bundleRef;
        ctx.book.note(
          bundleRow,
          finding("bundle_adopted", undefined, { externalRef, bundleId: existing.id }),
        );
      }
      return { charged: 0, remaining: null, message: `adopted existing bundle ${existing.id}` };
    }
  },
};

function duplicateOf(error: unknown): { id: string; status: string | null } | null {
  if (!(error instanceof TokPortalError) || !sameCode(error.code, "DUPLICATE_ACCOUNT_BUNDLE")) return null;
  const id = error.details.existing_bundle_id;
  if (typeof id !== "string" || id === "") return null;
  const status = error.details.existing_status;
  return { id, status: typeof status === "string" ? status : null };
}
