/**
 * Operations TokPortal's SDKs and CLI call that the vendored spec lacks (docs/tokportal-api.md §12). The
 * sandbox knows their routes only to answer 501 NOT_IMPLEMENTED in the error envelope, naming the
 * operation, instead of a bare 404 or 405 that would read as a wrong URL.
 */
export interface UnlistedOperation {
  /** A name in the spec's operationId style (TokPortal's own is not published). */
  operation: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
}

export const UNLISTED_OPERATIONS: readonly UnlistedOperation[] = [
  { operation: "updateCurrentUser", method: "PATCH", path: "/me" },
  { operation: "getManagedSubscription", method: "GET", path: "/accounts/{id}/managed-subscription" },
  {
    operation: "reactivateManagedSubscription",
    method: "POST",
    path: "/accounts/{id}/managed-subscription/reactivate",
  },
  {
    operation: "cancelManagedSubscription",
    method: "POST",
    path: "/accounts/{id}/managed-subscription/cancel",
  },
  { operation: "listAccountBans", method: "GET", path: "/account-bans" },
  { operation: "updateCommentingProfile", method: "PATCH", path: "/accounts/{id}/commenting-profile" },
  { operation: "rewarmAccount", method: "POST", path: "/accounts/{id}/rewarm" },
  { operation: "setBundleWarmingTerms", method: "PUT", path: "/bundles/{id}/warming-terms" },
  { operation: "listAccountWarmingSessions", method: "GET", path: "/accounts/{id}/warming-sessions" },
  { operation: "getWarmingSession", method: "GET", path: "/warming-sessions/{id}" },
  { operation: "generateWarmingTerms", method: "POST", path: "/warming/generate-terms" },
  { operation: "requestVideoAdCode", method: "POST", path: "/videos/{id}/ad-code-request" },
  { operation: "getVideoAdCodeRequest", method: "GET", path: "/videos/{id}/ad-code-request" },
];

/** The unlisted operation at this method and path (under /api/ext), if any. */
export function matchUnlisted(method: string, path: string): UnlistedOperation | undefined {
  const got = path.split("/").filter(Boolean);
  return UNLISTED_OPERATIONS.find((u) => {
    if (u.method !== method) return false;
    const want = u.path.split("/").filter(Boolean);
    return want.length === got.length && want.every((seg, i) => seg.startsWith("{") || seg === got[i]);
  });
}
