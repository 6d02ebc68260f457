/** The workspace wallet: balance and ledger (docs/tokportal-api.md §5). */
import type { OpTable } from "../context.ts";
import { paginate } from "../paginate.ts";

export const creditOps: OpTable = {
  getCreditBalance(_req, ctx) {
    const ws = ctx.workspace;
    const last = ws.ledger[ws.ledger.length - 1];
    return {
      body: {
        data: {
          total_credits: ws.credits,
          // Sandbox credits never expire.
          expiring_within_7_days: 0,
          upcoming_expirations: [],
          last_updated: last?.created_at ?? ctx.clock.iso(),
        },
      },
    };
  },

  listCreditTransactions(req, ctx) {
    const newestFirst = [...ctx.workspace.ledger].reverse().map((e) => ({
      id: e.id,
      type: e.type,
      amount: e.amount,
      description: e.description,
      breakdown: e.breakdown,
      balance_after: e.balance_after,
      bundle_id: e.bundle_id ?? null,
      created_at: e.created_at,
    }));
    return { body: paginate(newestFirst, req.query) };
  },
};
