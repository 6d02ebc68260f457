/**
 * Which campaigns of a service share what: a rate gate per TokPortal key (only when several campaigns use
 * the key), a Sheets limiter per service account (the account's client_email, whatever file holds it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scheduleCampaigns, shareLimits } from "../../src/cli/cron-campaigns.ts";
import { loadService } from "../../src/config/service.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-limits-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEY_1 = `sk_${"1".repeat(64)}`;
const KEY_2 = `sk_${"2".repeat(64)}`;

function sheets(name: string, keyEnv: string, credentials: string) {
  return {
    name,
    tokportal: { base_url: "https://tokportal.invalid/api/ext", api_key_env: keyEnv },
    source: {
      type: "google_sheets",
      spreadsheet_id: `sheet-${name}-0123456789`,
      videos_tab: "videos",
      credentials,
    },
    ref_prefix: `${name}-`,
    schedule: "*/15 * * * *",
  };
}

describe("shareLimits", () => {
  it("one gate per key shared by its campaigns, none for a key alone; one Sheets limiter per service account", () => {
    writeFileSync(
      path.join(dir, "sa-1.json"),
      JSON.stringify({ client_email: "sync@agency.iam.gserviceaccount.com" }),
    );
    // The same account in another file: the same quota.
    writeFileSync(
      path.join(dir, "sa-1-copy.json"),
      JSON.stringify({ client_email: "sync@agency.iam.gserviceaccount.com" }),
    );
    writeFileSync(
      path.join(dir, "sa-2.json"),
      JSON.stringify({ client_email: "client@other.iam.gserviceaccount.com" }),
    );
    const file = path.join(dir, "service.json");
    writeFileSync(
      file,
      JSON.stringify({
        campaigns: [
          sheets("a", "KEY_1", "sa-1.json"),
          sheets("b", "KEY_1", "sa-1-copy.json"),
          sheets("c", "KEY_2", "sa-2.json"),
        ],
      }),
    );
    const { ready } = scheduleCampaigns(loadService({ config: file }, { KEY_1, KEY_2 }).campaigns, undefined);
    const { limits, shared } = shareLimits(ready, {});
    const [a, b, c] = ["a", "b", "c"].map((n) => shared.get(n));
    expect(a?.gate).toBeDefined();
    expect(a?.gate).toBe(b?.gate);
    expect(c?.gate).toBeUndefined();
    expect(a?.sheetsLimiter).toBeDefined();
    expect(a?.sheetsLimiter).toBe(b?.sheetsLimiter);
    expect(c?.sheetsLimiter).not.toBe(a?.sheetsLimiter);
    expect(limits.counts()).toEqual({ keys: 1, sheetsAccounts: 2 });
  });
});
