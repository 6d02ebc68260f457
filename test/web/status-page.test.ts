/**
 * The status pages in a real browser (headless Chromium), on the service after a simulated month of a
 * campaign on the sandbox: the pages load with no console error and no failed request, their numbers
 * equal the run records and the sheet, the charts have a point per day of their table, "sync now"
 * starts exactly one run, and off loopback a request without the token is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CronFlags, runCronCommand } from "../../src/cli/cron-run.ts";
import { withRunLock } from "../../src/cli/run-lock.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RunHistory } from "../../src/service/history.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import { SYNC_REFUSED_WORDS } from "../../src/web/server.ts";
import { readCsvRows } from "../support/campaign.ts";
import { type Browser, HAS_CHROMIUM, openBrowser, watchedPage } from "./browser.ts";
import { CAMPAIGN, KEY, type Month, simulateMonth } from "./month.ts";

interface Running {
  url: string;
  stop(): Promise<number>;
  stderr: () => string;
}

async function startService(month: Month, extra: Partial<CronFlags>, env: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  let err = "";
  const stream = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  let stop: (s: string) => void = () => undefined;
  const stopSignal = new Promise<string>((r) => {
    stop = r;
  });
  const done = runCronCommand(
    { config: month.config, stateDir: month.stateDir, healthPort: 0, healthHost: "127.0.0.1", ...extra },
    {
      stderr: new Writable({
        write(c, _e, d) {
          err += String(c);
          d();
        },
      }),
      env: { ...month.env, ...env },
      logger: createServiceLogger({ destination: stream, apiKeys: [KEY] }),
      stopSignal,
    },
  );
  for (let i = 0; i < 200; i++) {
    const started = lines.find((l) => l["event"] === "service_started");
    if (started) {
      const url = String(started["health"]);
      return {
        url,
        stop: () => {
          stop("SIGTERM");
          return done;
        },
        stderr: () => err,
        lines,
      };
    }
    const early = await Promise.race([done, new Promise((r) => setTimeout(() => r(null), 50))]);
    if (early !== null) return { url: "", stop: () => done, stderr: () => err, lines, code: early };
  }
  throw new Error("the service did not start");
}

describe.skipIf(!HAS_CHROMIUM)("status pages in Chromium", () => {
  let dir = "";
  let month: Month;
  let browser: Browser;
  let service: Running;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tps-web-"));
    month = await simulateMonth(dir);
    browser = await openBrowser();
    service = await startService(month, {});
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await browser?.close();
    await month?.emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sheetRows = () => [...readCsvRows(month.bundlesCsv), ...readCsvRows(month.videosCsv)];

  it("/: the campaign at a glance, its numbers those of the run records and the sheet", async () => {
    const { page, problems } = await watchedPage(browser.context);
    await page.goto(`${service.url}/`);
    const card = page.locator(`section[data-campaign="${CAMPAIGN}"]`);
    await expect(card.count()).resolves.toBe(1);
    const today = new Date().toISOString().slice(0, 10);
    const sum = (prefix: string) =>
      month.records.filter((r) => r.startedAt.startsWith(prefix)).reduce((n, r) => n + r.creditsCharged, 0);
    expect(await card.locator('[data-k="credits-month"]').textContent()).toBe(String(sum(today.slice(0, 7))));
    expect(await card.locator('[data-k="credits-today"]').textContent()).toBe(String(sum(today)));
    const synced = sheetRows().filter((r) => r["sync_status"] === "synced").length;
    expect(synced).toBeGreaterThan(0);
    expect(await card.locator('[data-k="rows-synced"]').getAttribute("value")).toBe(String(synced));
    const last = month.records.at(-1);
    expect(last?.exitCode).toBe(0);
    expect(await card.locator('[data-k="last-run"]').textContent()).toBe("every row synced");
    expect(await card.locator('[data-k="alerts"]').textContent()).toContain("none open");
    expect(problems).toEqual([]);
  });

  it("/campaigns/NAME: runs newest first, charts with a point per day, the bundles", async () => {
    const { page, problems } = await watchedPage(browser.context, 390);
    await page.goto(`${service.url}/campaigns/${CAMPAIGN}`);
    const runs = page.locator('tr[data-k="run"]');
    expect(await runs.count()).toBe(month.records.length);
    const newest = [...month.records].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    expect(await runs.first().getAttribute("data-started")).toBe(newest[0]?.startedAt);
    const credits = await page.locator('[data-k="run-credits"]').allTextContents();
    expect(credits.map(Number)).toEqual(newest.map((r) => r.creditsCharged));
    // Charts: drawn by uPlot with one x value per row of the table beside them.
    await page.waitForSelector("figure[data-drawn]");
    const dates = new Set(readCsvRows(month.videosCsv).map((r) => r["target_publish_date"]));
    const drawn = async (id: string) =>
      Number(await page.locator(`figure[data-chart="${id}"]`).getAttribute("data-drawn"));
    expect(await drawn("posts")).toBe(dates.size);
    expect(await page.locator('figure[data-chart="posts"] details tbody tr').count()).toBe(dates.size);
    const history = readCsvRows(path.join(path.dirname(month.videosCsv), "analytics-history.csv"));
    const followerDays = new Set(history.filter((r) => r["video_ref"] === "").map((r) => r["date"]));
    expect(followerDays.size).toBeGreaterThan(5);
    expect(await drawn("followers")).toBe(followerDays.size);
    const viewDays = new Set(history.filter((r) => r["video_ref"] !== "").map((r) => r["date"]));
    expect(await drawn("views")).toBe(viewDays.size);
    expect(await drawn("credits")).toBe(
      await page.locator('figure[data-chart="credits"] details tbody tr').count(),
    );
    const bundles = readCsvRows(month.bundlesCsv);
    expect(await page.locator('tr[data-k="bundle"]').count()).toBe(bundles.length);
    expect(problems).toEqual([]);
  });

  it('"sync now" starts exactly one run; a post without the form token is refused', async () => {
    const history = new RunHistory(month.stateDir);
    const before = (await history.read({ campaign: CAMPAIGN })).length;
    const forged = await fetch(`${service.url}/campaigns/${CAMPAIGN}/sync`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: service.url },
      body: "csrf=wrong",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    const { page, problems } = await watchedPage(browser.context);
    await page.goto(`${service.url}/campaigns/${CAMPAIGN}`);
    await Promise.all([page.waitForNavigation(), page.locator("form.sync button").click()]);
    expect(await page.locator('[data-k="notice"]').textContent()).toContain("sync started");
    let after = before;
    for (let i = 0; i < 200 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await history.read({ campaign: CAMPAIGN })).length;
    }
    await new Promise((r) => setTimeout(r, 500));
    const events = (service as unknown as { lines: Array<Record<string, unknown>> }).lines.map(
      (l) => l["event"],
    );
    expect(events.filter((e) => e === "run_started")).toHaveLength(1);
    expect((await history.read({ campaign: CAMPAIGN })).length).toBe(before + 1);
    expect(problems).toEqual([]);
  }, 60_000);

  it("sync now is refused while another run holds the sheet, and the page says so", async () => {
    const history = new RunHistory(month.stateDir);
    const before = (await history.read({ campaign: CAMPAIGN })).length;
    const page = await (await fetch(`${service.url}/campaigns/${CAMPAIGN}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    await withRunLock(loadConfig(month.config, month.env), async () => {
      const res = await fetch(`${service.url}/campaigns/${CAMPAIGN}/sync`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: service.url },
        body: `csrf=${encodeURIComponent(csrf)}`,
        redirect: "manual",
      });
      expect(res.status).toBe(303);
    });
    const after = await (await fetch(`${service.url}/campaigns/${CAMPAIGN}`)).text();
    expect(after).toContain(SYNC_REFUSED_WORDS.locked);
    expect((await history.read({ campaign: CAMPAIGN })).length).toBe(before);
  });

  it("off loopback: refuses to start without a token; with one, a request without it gets 401", async () => {
    const refused = await startService(month, { healthHost: "0.0.0.0" });
    expect((refused as { code?: number }).code).toBe(2);
    expect(refused.stderr()).toContain("TOKPORTAL_STATUS_TOKEN");
    const token = "t".repeat(24);
    const open = await startService(month, { healthHost: "0.0.0.0" }, { TOKPORTAL_STATUS_TOKEN: token });
    try {
      const port = new URL(open.url).port;
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect((await fetch(`${base}/campaigns/${CAMPAIGN}`)).status).toBe(401);
      expect(
        (await fetch(`${base}/`, { headers: { authorization: "Bearer nope-nope-nope-nope" } })).status,
      ).toBe(401);
      expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const basic = Buffer.from(`me:${token}`).toString("base64");
      expect((await fetch(`${base}/`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
      // The health endpoints answer as before.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
