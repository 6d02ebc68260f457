/** The account a bundle orders: profile configuration and the client's review actions (docs/tokportal-api.md §6). */
import { ApiError, type OpContext, type OpRequest, type OpTable } from "../context.ts";
import type { AccountConfig, AccountStatus, Bundle } from "../model.ts";
import { bodyOf, emitAccountEvent, touch } from "./domain.ts";
import { accountFields, accountView } from "./views.ts";

const CONFIGURABLE: readonly AccountStatus[] = ["pending", "configured"];

function accountOf(bundle: Bundle): AccountConfig {
  if (!bundle.account) {
    throw new ApiError(
      404,
      "ACCOUNT_NOT_FOUND",
      "This bundle has no account to configure: videos_only bundles post to a saved account.",
      { bundle_id: bundle.id, bundle_type: bundle.bundle_type },
    );
  }
  return bundle.account;
}

function statusError(account: AccountConfig, action: string, allowed: readonly AccountStatus[]): ApiError {
  return new ApiError(
    409,
    "ACCOUNT_INVALID_STATUS",
    `Account status '${account.status}' does not allow ${action}. Allowed: ${allowed.join(", ")}.`,
    { current_status: account.status, allowed_statuses: [...allowed] },
  );
}

function getBundleAccount(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  return { body: { data: accountView(bundle, accountOf(bundle)) } };
}

function configureBundleAccount(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const account = accountOf(bundle);
  if (!CONFIGURABLE.includes(account.status)) throw statusError(account, "configuration", CONFIGURABLE);
  if (bundle.status !== "pending_setup") {
    throw new ApiError(
      409,
      "ACCOUNT_INVALID_STATUS",
      `The account can be configured only while the bundle is pending_setup (it is '${bundle.status}'); unpublish first.`,
      { current_status: account.status, bundle_status: bundle.status },
    );
  }
  const b = bodyOf(req.body);
  if (typeof b.username === "string" && b.username.endsWith(".")) {
    throw new ApiError(400, "VALIDATION_ERROR", "username cannot end with a dot.", { field: "username" });
  }
  if (b.link_in_bio !== undefined && bundle.platform !== "instagram") {
    throw new ApiError(400, "VALIDATION_ERROR", "link_in_bio is available on Instagram accounts only.", {
      field: "link_in_bio",
      platform: bundle.platform,
    });
  }
  const previous = account.status;
  const now = touch(ctx, bundle);
  // PUT replaces the profile; warming instructions belong to the order and survive an omitted key.
  account.username = b.username as string;
  account.visible_name = b.visible_name as string;
  account.biography = typeof b.biography === "string" ? b.biography : null;
  account.profile_picture_url = typeof b.profile_picture_url === "string" ? b.profile_picture_url : null;
  account.link_in_bio = typeof b.link_in_bio === "string" ? b.link_in_bio : null;
  if (typeof b.niche_warming_instructions === "string") {
    account.niche_warming_instructions = b.niche_warming_instructions;
  }
  account.status = "configured";
  account.configured_at = now;
  emitAccountEvent(ctx, "account.configured", bundle, previous);
  return { body: { data: { id: bundle.id, bundle_id: bundle.id, account: accountFields(account) } } };
}

function requestBundleAccountCorrections(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const account = accountOf(bundle);
  if (account.status !== "in_review") throw statusError(account, "requesting corrections", ["in_review"]);
  const b = bodyOf(req.body);
  const now = touch(ctx, bundle);
  account.status = "pending_corrections";
  account.correction_comment = typeof b.comment === "string" ? b.comment : null;
  account.correction_requested_at = now;
  emitAccountEvent(ctx, "account.pending_corrections", bundle, "in_review");
  return {
    body: {
      data: {
        id: bundle.id,
        bundle_id: bundle.id,
        account: accountFields(account),
        correction_fields: b.fields ?? {},
      },
    },
  };
}

function finalizeBundleAccount(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const account = accountOf(bundle);
  if (account.status !== "in_review") throw statusError(account, "finalizing", ["in_review"]);
  const now = touch(ctx, bundle);
  account.status = "finalized";
  account.finalized_at = now;
  emitAccountEvent(ctx, "account.finalized", bundle, "in_review");
  return { body: { data: { id: bundle.id, bundle_id: bundle.id, account: accountFields(account) } } };
}

export const accountOps: OpTable = {
  getBundleAccount,
  configureBundleAccount,
  requestBundleAccountCorrections,
  finalizeBundleAccount,
};
