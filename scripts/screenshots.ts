/**
 * `npm run screenshots`: PNGs of the status page (`/`), a campaign page and the report, at desktop
 * (1280) and phone (390) widths, into docs/images/. Runs the same simulated month on the sandbox as the
 * browser tests (test/web/month.ts) and needs /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { chromium } from "playwright-core";
import { runCronCommand } from "../src/cli/cron-run.ts";
import { campaignReport } from "../src/cli/report-run.ts";
import { loadConfig } from "../src/config/load.ts";
import { createServiceLogger } from "../src/service/logger.ts";
import { CAMPAIGN, KEY, simulateMonth } from "../test/web/month.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUT = path.resolve(import.meta.dirname, "../docs/images");
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`${CHROMIUM} is missing: apt-get install -y chromium\n`);
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tps-shots-"));
  const month = await simulateMonth(dir);
  let url = "";
  let stop: (s: string) => void = () => undefined;
  const log = new Writable({
    write(chunk, _e, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        const l = JSON.parse(line) as Record<string, unknown>;
        if (l["event"] === "service_started") url = String(l["health"]);
      }
      done();
    },
  });
  const service = runCronCommand(
    { config: month.config, stateDir: month.stateDir, healthPort: 0, healthHost: "127.0.0.1" },
    {
      stderr: process.stderr,
      env: month.env,
      logger: createServiceLogger({ destination: log, apiKeys: [KEY] }),
      stopSignal: new Promise((r) => {
        stop = r;
      }),
    },
  );
  while (url === "") await new Promise((r) => setTimeout(r, 50));
  const report = path.join(dir, "report.html");
  writeFileSync(report, await campaignReport(loadConfig(month.config, month.env)));

  const profile = mkdtempSync(path.join(tmpdir(), "tps-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
  });
  mkdirSync(OUT, { recursive: true });
  const pages = {
    overview: `${url}/`,
    campaign: `${url}/campaigns/${CAMPAIGN}`,
    report: `file://${report}`,
  };
  for (const [name, address] of Object.entries(pages)) {
    for (const [size, viewport] of Object.entries(WIDTHS)) {
      const page = await browser.newPage();
      await page.setViewportSize(viewport);
      await page.goto(address);
      await page.waitForTimeout(300);
      const file = path.join(OUT, `status-${name}-${size}.png`);
      await page.screenshot({ path: file });
      await page.close();
      process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
    }
  }
  await browser.close();
  stop("SIGTERM");
  await service;
  await month.emu.stop();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

await main();
