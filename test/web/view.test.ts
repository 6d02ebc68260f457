/**
 * The status page's pieces without a browser: the view model's numbers, the run log read back into runs,
 * every sheet value escaped, the report self-contained, and "sync now" refused with its reason while a
 * run is going or the sheet is locked, and without the form's token or from another origin.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CATALOGUE } from "../../src/findings/catalogue.ts";
import type { SheetRow } from "../../src/sources/types.ts";
import { RUN_LOG_HEADER } from "../../src/sync/run-log.ts";
import { buildCampaignView, type CampaignInput } from "../../src/web/model.ts";
import { campaignPage } from "../../src/web/pages.ts";
import { runsFromLog } from "../../src/web/runs.ts";
import { type SyncNowResult, statusPages } from "../../src/web/server.ts";

const NOW = Date.parse("2026-09-20T12:00:00Z");
const row = (table: "bundles" | "videos", n: number, cells: Record<string, string>): SheetRow => ({
  table,
  rowNumber: n,
  cells,
});

const LOG = [
  [...RUN_LOG_HEADER],
  [
    "2026-08-31T09:00:00.000Z",
    "2026-08-31T09:00:01.000Z",
    "apply",
    "3",
    "0",
    "0",
    "0",
    "0",
    "50",
    "9",
    "0",
    "",
    "0",
    "0",
    "",
  ],
  [
    "2026-09-19T09:00:00.000Z",
    "2026-09-19T09:00:01.000Z",
    "apply",
    "2",
    "0",
    "0",
    "1",
    "0",
    "20",
    "5",
    "0",
    "not_boolean videos!7; +2 more",
    "1",
    "4",
    "2026-09-20T09:00:00.000Z",
  ],
  [
    "2026-09-20T09:00:00.000Z",
    "2026-09-20T09:00:01.000Z",
    "apply",
    "3",
    "0",
    "0",
    "0",
    "0",
    "7",
    "5",
    "0",
    "",
    "0",
    "0",
    "",
  ],
];

function input(over: Partial<CampaignInput> = {}): CampaignInput {
  return {
    name: "acme",
    now: NOW,
    runs: runsFromLog({ rows: LOG }),
    tables: {
      bundles: [row("bundles", 2, { bundle_ref: "<img src=x onerror=alert(1)>", sync_status: "synced" })],
      videos: [
        row("videos", 2, {
          bundle_ref: "b",
          target_publish_date: "2026-09-10",
          platform_url: "u",
          sync_status: "synced",
        }),
        row("videos", 3, { bundle_ref: "b", target_publish_date: "2026-09-10", sync_status: "error" }),
        row("videos", 4, { bundle_ref: "b", target_publish_date: "2026-09-12", sync_status: "" }),
      ],
    },
    history: null,
    balance: 12,
    maxCredits: 100,
    nextRunAt: null,
    running: false,
    alerts: [],
    rowLink: (t, n) => `https://docs.google.com/spreadsheets/d/x/edit#range=${t}!A${n}`,
    ...over,
  };
}

describe("campaign view model", () => {
  it("counts credits today and this month, rows by status, runs newest first, row errors with their fix", () => {
    const v = buildCampaignView(input());
    expect([v.creditsToday, v.creditsMonth]).toEqual([7, 27]);
    expect(v.rows).toMatchObject({ synced: 2, error: 1, none: 1 });
    expect(v.runs.map((r) => r.startedAt.slice(0, 10))).toEqual(["2026-09-20", "2026-09-19", "2026-08-31"]);
    const failed = v.runs[1];
    expect(failed?.errorRows).toBe(3);
    expect(failed?.quietRuns).toBe(4);
    expect(failed?.rowErrors[0]).toMatchObject({ code: "not_boolean", table: "videos", row: 7 });
    expect(failed?.rowErrors[0]?.fix).toBe(CATALOGUE.not_boolean.fix);
    expect(v.charts.posts.days).toEqual(["2026-09-10", "2026-09-12"]);
    expect(v.charts.posts.series.map((s) => s.values)).toEqual([
      [2, 1],
      [1, 0],
    ]);
  });

  it("escapes every value from the sheet", () => {
    const page = campaignPage(buildCampaignView(input()), { now: NOW, csrf: "t" });
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});

describe("sync now", () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  async function serve(result: SyncNowResult) {
    let calls = 0;
    const pages = statusPages({
      data: { names: () => ["acme"], input: async (n) => (n === "acme" ? input() : null) },
      syncNow: {
        runNow: () => {
          calls++;
          return result;
        },
      },
      token: null,
    });
    server = createServer((req, res) => {
      if (!pages.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (csrf: string, origin: string | null) =>
      fetch(`${base}/campaigns/acme/sync`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
        body: `csrf=${encodeURIComponent(csrf)}`,
      });
    return { base, post, csrf: pages.csrf, calls: () => calls };
  }

  it("refuses a wrong token, another origin or none, before asking for a run", async () => {
    const s = await serve({ started: true });
    expect((await s.post("nope", s.base)).status).toBe(403);
    expect((await s.post(s.csrf, "http://evil.example")).status).toBe(403);
    expect((await s.post(s.csrf, null)).status).toBe(403);
    expect(s.calls()).toBe(0);
    expect((await s.post(s.csrf, s.base)).status).toBe(303);
    expect(s.calls()).toBe(1);
  });

  it.each([
    ["running", "a run of this campaign is going"],
    ["locked", "another run holds the sheet"],
  ] as const)("refused while %s, and the page says why", async (reason, words) => {
    const s = await serve({ started: false, reason });
    expect((await s.post(s.csrf, s.base)).status).toBe(303);
    const page = await (await fetch(`${s.base}/campaigns/acme`)).text();
    expect(page).toContain(words);
  });
});
