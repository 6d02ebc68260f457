/**
 * Delivered ("saved") accounts (docs/tokportal-api.md §14): what GET /accounts lists once a bundle's account reaches
 * in_review. `id` is the saved_account_id. Credentials are never part of these answers.
 */
import { ApiError, type OpContext, type OpTable } from "../context.ts";
import type { SavedAccount } from "../model.ts";
import { all, first, paginate } from "../paginate.ts";
import { bundleView } from "./views.ts";

export const savedAccountOps: OpTable = {
  listAccounts(req, ctx) {
    const platforms = new Set(all(req.query.platform));
    const countries = new Set(all(req.query.country).map((c) => c.toUpperCase()));
    const banned = first(req.query.banned);
    const items = Object.values(ctx.state.savedAccounts)
      .filter((a) => a.workspaceId === ctx.workspace.id)
      .filter((a) => platforms.size === 0 || platforms.has(a.platform))
      .filter((a) => countries.size === 0 || countries.has(a.country.toUpperCase()))
      .filter((a) => banned === undefined || (banned === "true") === (a.status === "banned"))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id))
      .map(accountItem);
    return { body: paginate(items, req.query) };
  },

  getAccount(req, ctx) {
    const account = findSavedAccount(ctx, req.params.id ?? "");
    const bundle = ctx.state.bundles[account.bundle_id];
    const profile = bundle?.account;
    return {
      body: {
        data: {
          ...accountItem(account),
          account_status: profile?.status ?? null,
          visible_name: profile?.visible_name ?? null,
          biography: profile?.biography ?? null,
          profile_picture_url: profile?.profile_picture_url ?? null,
          link_in_bio: profile?.link_in_bio ?? null,
          delivered_at: profile?.in_review_at ?? account.created_at,
          finalized_at: profile?.finalized_at ?? null,
        },
      },
    };
  },

  listAccountBundles(req, ctx) {
    const account = findSavedAccount(ctx, req.params.id ?? "");
    const status = first(req.query.status);
    const items = Object.values(ctx.state.bundles)
      .filter((b) => b.workspaceId === ctx.workspace.id)
      .filter((b) => b.saved_account_id === account.id || b.account_id === account.id)
      .filter((b) => status === undefined || b.status === status)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id))
      .map((b) => bundleView(b));
    return { body: paginate(items, req.query) };
  },
};

/** A saved account of this workspace, or 404 SAVED_ACCOUNT_NOT_FOUND / 403 SAVED_ACCOUNT_NOT_OWNED. */
export function findSavedAccount(ctx: OpContext, id: string): SavedAccount {
  const account = ctx.state.savedAccounts[id];
  if (!account) throw new ApiError(404, "SAVED_ACCOUNT_NOT_FOUND", "Account not found.", { account_id: id });
  if (account.workspaceId !== ctx.workspace.id) {
    throw new ApiError(403, "SAVED_ACCOUNT_NOT_OWNED", "This account belongs to another workspace.", {
      account_id: id,
    });
  }
  return account;
}

function accountItem(account: SavedAccount): Record<string, unknown> {
  return {
    id: account.id,
    saved_account_id: account.id,
    platform: account.platform,
    username: account.username,
    country: account.country,
    status: account.status,
    banned: account.status === "banned",
    url: profileUrl(account),
    bundle_id: account.bundle_id,
    created_at: account.created_at,
  };
}

/** The account's public profile address on its platform (deterministic: made from its username). */
export function profileUrl(account: SavedAccount): string {
  return account.platform === "instagram"
    ? `https://www.instagram.com/${account.username}/`
    : `https://www.tiktok.com/@${account.username}`;
}
