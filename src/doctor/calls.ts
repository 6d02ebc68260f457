/**
 * The doctor's one door to TokPortal: every request it makes goes through here, so the rule "a write is
 * only ever sent with the dry-run header" lives in one place, and a change to the API client touches only
 * this file.
 *
 * Answers come back as data (an answer or a refusal), never as a thrown error: a refusal is something to
 * report, not a reason to stop, except a refused key, which the runner turns into exit 3.
 */
import type { TokPortalClient } from "../api/client.ts";
import { TokPortalError } from "../api/errors.ts";
import type { CallInput } from "../api/types.ts";
import { isAuthFailure } from "../sync/apply-errors.ts";

/** The reads the doctor makes (all free). */
export type ReadOp =
  | "getCurrentUser"
  | "getCreditBalance"
  | "getCreditCosts"
  | "listCountries"
  | "listBundles"
  | "listBundleVideos"
  | "getBundleAccount"
  | "exportAnalyticsVideos";

/** The writes the doctor may send, always as dry runs. Destructive writes are deliberately absent. */
export type DryWriteOp =
  | "updateBundle"
  | "createBundle"
  | "addVideoSlots"
  | "addEditSlots"
  | "configureBundleAccount"
  | "batchConfigureBundleVideos"
  | "patchBundleVideo"
  | "publishBundle"
  | "publishBundleVideo"
  | "publishAllBundleVideos"
  | "uploadVideoDirect"
  | "uploadImageDirect";

export interface RateLimitSeen {
  limit: number | null;
  remaining: number | null;
  reset: number | null;
}

export type Reply =
  | {
      ok: true;
      status: number;
      /** Parsed JSON, or the text of a non-JSON answer (the CSV export). */
      body: unknown;
      contentType: string;
      rateLimit: RateLimitSeen;
    }
  | {
      ok: false;
      /** null when no HTTP answer came (network, timeout) or our own request was refused locally. */
      status: number | null;
      /** TokPortal's error code; `HTTP_<status>` when the answer had no error envelope. */
      code: string;
      /** The refusal came in TokPortal's `{"error": {code, message}}` envelope. */
      enveloped: boolean;
      /** A refused API key: the runner stops and exits 3. */
      auth: boolean;
      /** The request never left: our own probe failed the spec's validation (a doctor bug). */
      local: boolean;
    };

export interface DoctorCalls {
  read(op: ReadOp, input?: CallInput): Promise<Reply>;
  /** Sends `op` with `X-TokPortal-Dry-Run: true`; there is no way to send it without. */
  dryRun(op: DryWriteOp, input: CallInput): Promise<Reply>;
  /** TokPortal's clock (ms) from the latest answer's `Date` header; null when none carried one. */
  serverNow(): number | null;
}

export function doctorCalls(client: TokPortalClient): DoctorCalls {
  const send = async (op: ReadOp | DryWriteOp, input: CallInput, dryRun: boolean): Promise<Reply> => {
    try {
      const res = await client.call(op, input, dryRun ? { dryRun: true } : {});
      return {
        ok: true,
        status: res.status,
        body: res.body,
        contentType: res.contentType,
        rateLimit: { ...res.rateLimit },
      };
    } catch (error) {
      return refusal(error);
    }
  };
  return {
    read: (op, input = {}) => send(op, input, false),
    dryRun: (op, input) => send(op, input, true),
    serverNow: () => client.serverNow(),
  };
}

function refusal(error: unknown): Reply {
  // Anything else is a bug of ours, not an answer of TokPortal's: let it surface.
  if (!(error instanceof TokPortalError)) throw error;
  return {
    ok: false,
    status: error.status,
    code: error.code,
    // The client names a refusal without an envelope HTTP_<status> (src/api/response.ts).
    enveloped: error.kind === "http" && error.code !== `HTTP_${error.status}`,
    // As the sync judges it (src/sync/apply-errors.ts), so the doctor's exit 3 means what sync's does.
    auth: isAuthFailure(error),
    local: error.kind === "local",
  };
}
