/**
 * configureAccount: the account profile (username, name, bio, picture, link). A picture that is a local
 * file is uploaded first; the key carries the body as sent and the state it changes from.
 */
import type { BundleAccount, ConfigureAccountBody } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { isAuthFailure, uploadReason } from "../apply-errors.ts";
import { UploadError } from "../uploads.ts";
import { bundleIdOf, fromState } from "./settle.ts";
import { HandledFailure, type KeyContext, type OpOf, type Step, type StepRequest } from "./step.ts";

type Op = OpOf<"configureAccount">;

function request(op: Op, ctx: KeyContext, body: ConfigureAccountBody): StepRequest<BundleAccount> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.account.configure(id, body, options),
    key: { ref: op.bundleRef, content: [id, body, fromState(ctx, op.rows)] },
  };
}

export const configureAccount: Step<"configureAccount"> = {
  charged: false,
  dryRun(op, ctx) {
    const picture = op.profilePicture;
    if (picture?.kind === "file") return finding("needs_upload", "profile_picture", { what: "picture" });
    const body = picture ? { ...op.body, profile_picture_url: picture.value } : op.body;
    return [request(op, ctx, body)];
  },
  async run(op, ctx) {
    const body = { ...op.body };
    if (op.profilePicture) {
      try {
        body.profile_picture_url = await ctx.uploader.resolve(
          op.profilePicture,
          "profile_picture",
          bundleIdOf(ctx),
          op.bundleRef,
        );
      } catch (error) {
        throw uploadFailure(error);
      }
    }
    const res = await ctx.send(request(op, ctx, body));
    const account = res.data;
    for (const rowId of op.rows) ctx.book.merge(rowId, { account_status: account.status ?? undefined });
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};

function uploadFailure(error: unknown): unknown {
  if (!(error instanceof UploadError)) return error;
  if (isAuthFailure(error.cause)) return error.cause;
  return new HandledFailure(error, {
    outcome: "error",
    finding: finding("upload_failed", "profile_picture", {
      step: "configureAccount",
      file: error.file,
      reason: uploadReason(error),
    }),
  });
}
