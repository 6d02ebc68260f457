/**
 * The reads of ordering accounts, each made only when the plan needs it (docs/tokportal-api.md §6, §14):
 *
 * - `GET /countries` once, only when the sheet orders a new account (a bundle TokPortal does not have yet),
 *   for its `videos_only_countries`;
 * - `GET /accounts/{saved_account_id}` per bundle whose account is delivered (the listing says
 *   `saved_account_id`) and whose bundles row does not show it yet, for its username and profile URL. A
 *   rerun with the row filled reads nothing. One call gives both fields; the bundle's own account read
 *   (`GET /bundles/{id}/account`) gives no URL.
 *
 * Answers are read tolerantly: a field missing or odd is "not known" and the cell is left as it is.
 */
import type { Bundle, TokPortalClient } from "../api/index.ts";
import { isObject } from "../api/parse.ts";
import { isAuthFailure } from "./apply-errors.ts";
import type { DeliveredAccount, DesiredBundle } from "./types.ts";

/** TokPortal's codes of the countries open only to video work on existing accounts; [] when unreadable. */
export async function readVideosOnlyCountries(client: TokPortalClient): Promise<string[]> {
  try {
    const res = await client.call("listCountries");
    const list = isObject(res.body) ? res.body["videos_only_countries"] : undefined;
    if (!Array.isArray(list)) return [];
    const codes: string[] = [];
    for (const c of list) {
      const code = typeof c === "string" ? c : isObject(c) ? c["code"] : undefined;
      if (typeof code === "string" && code.trim() !== "") codes.push(code.trim().toUpperCase());
    }
    return codes;
  } catch (error) {
    // Without the list nothing is checked before sending: TokPortal still refuses the create itself.
    if (isAuthFailure(error)) throw error;
    return [];
  }
}

/**
 * Whether the delivered account of this bundle should be read: the bundles table has a row for it (the
 * single-table mode has no such columns), TokPortal names the account, and the row does not show it yet.
 */
export function wantsDeliveredAccount(bundle: Bundle, want: DesiredBundle): boolean {
  const saved = bundle.saved_account_id;
  if (typeof saved !== "string" || saved === "") return false;
  if (want.row === null || want.row.table !== "bundles") return false;
  const shown = want.outputs;
  return (
    (shown["saved_account_id"] ?? "") !== saved ||
    (shown["account_username"] ?? "") === "" ||
    (shown["account_url"] ?? "") === ""
  );
}

/** The delivered account's username and profile URL; null when it cannot be read (the next run retries). */
export async function readDeliveredAccount(
  client: TokPortalClient,
  bundle: Bundle,
): Promise<DeliveredAccount | null> {
  const id = bundle.saved_account_id;
  if (typeof id !== "string" || id === "") return null;
  try {
    const res = await client.call("getAccount", { path: { id } });
    const data = isObject(res.body) && isObject(res.body["data"]) ? res.body["data"] : null;
    if (data === null) return null;
    const username = text(data["username"]);
    const platform = text(data["platform"]) ?? bundle.platform ?? null;
    const url = text(data["url"]) ?? text(data["profile_url"]) ?? profileUrl(platform, username);
    return { username, url };
  } catch (error) {
    // A refused key ends the run; anything else leaves the cells as they are until the next run.
    if (isAuthFailure(error)) throw error;
    return null;
  }
}

function text(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/** The public profile address of a username on its platform, when TokPortal gives none. */
function profileUrl(platform: string | null, username: string | null): string | null {
  if (username === null) return null;
  const handle = username.replace(/^@/, "");
  if (platform === "tiktok") return `https://www.tiktok.com/@${handle}`;
  if (platform === "instagram") return `https://www.instagram.com/${handle}/`;
  return null;
}
