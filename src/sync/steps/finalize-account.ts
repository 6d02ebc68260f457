/** finalizeAccount: `account_review=approve` on a delivered account in review (once per account). */
import { bundleIdOf } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"finalizeAccount">;

function request(op: Op, ctx: KeyContext): StepRequest<Record<string, unknown>> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.account.finalize(id, options),
    key: { ref: op.bundleRef, content: [id, op.kind] },
  };
}

export const finalizeAccount: Step<"finalizeAccount"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const account = res.data.account as { status?: unknown } | undefined;
    const status = typeof account?.status === "string" ? account.status : "finalized";
    for (const rowId of op.rows) ctx.book.merge(rowId, { account_status: status });
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
