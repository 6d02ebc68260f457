/**
 * Alerts against the sandbox, a local HTTP receiver (Slack and a signed webhook) and a local SMTP server:
 * runs are driven by each campaign's scheduler (`tick()`, as a tick would run them) with the service's own
 * wiring (campaignPlan's onRunEnd, serviceRun). A bad paste (three rows made invalid at once) sends one
 * message per channel, the fix one recovery, 100 unchanged runs nothing; the webhook's HMAC verifies; no
 * secret reaches a log line. A receiver that is down or hangs does not hold a run: runs end while the
 * delivery is still in flight, and the stop's drain gives up at its deadline.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alerter } from "../../src/alerts/alerter.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../src/alerts/channels.ts";
import { type AlertsOptions, setupAlerts } from "../../src/alerts/setup.ts";
import { campaignPlan, scheduleCampaigns, shareLimits } from "../../src/cli/cron-campaigns.ts";
import { serviceRun } from "../../src/cli/cron-run.ts";
import { loadService } from "../../src/config/service.ts";
import { CampaignService } from "../../src/service/campaigns.ts";
import { RunHistory } from "../../src/service/history.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import type { SyncScheduler } from "../../src/service/scheduler.ts";
import { root } from "../cli/cli-harness.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import {
  closedPort,
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from "./receivers.ts";

const KEY = `sk_${"5e".repeat(32)}`;
const SLACK_TOKEN = "T0SECRET/B0SECRET/slackSecretToken42";
const HOOK_SECRET = "whsec_hmacSecretValue_9f8e7d";
const SMTP_PASSWORD = "smtpSecretPassword_77";
const NEVER = "0 0 1 1 *";

let dir = "";
let emu: TestEmulator;
let http: HttpReceiver;
let smtp: SmtpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-alerts-"));
  // A bucket wide enough for 100 quick runs: rate limits are not what this file measures.
  emu = await startTestEmulator({
    apiKey: KEY,
    credits: 100_000,
    bucket: { capacity: 100_000, refillPerSecond: 10_000 },
  });
  http = await startHttpReceiver("ok");
  smtp = await startSmtpReceiver({ user: "alerts", password: SMTP_PASSWORD });
});
afterAll(async () => {
  await emu?.stop();
  await http?.close();
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A service of one campaign (its own folder), built as `cron` builds it, not started: runs by tick(). */
function service(
  name: string,
  alertChannels: Record<string, unknown>,
  env: Record<string, string>,
  options: AlertsOptions,
) {
  const folder = path.join(dir, name);
  // A second service on the same folder is a restart: the sheet stays as the runs left it.
  if (!existsSync(folder)) cpSync(path.join(root, "fixtures/campaign"), folder, { recursive: true });
  const file = path.join(folder, "service.json");
  writeFileSync(
    file,
    JSON.stringify({
      state_dir: "state",
      alert_channels: alertChannels,
      campaigns: [
        {
          name,
          tokportal: { base_url: emu.url, api_key_env: "ACME_KEY" },
          source: { type: "csv", bundles: "bundles.csv", videos: "videos.csv" },
          ref_prefix: `${name}-`,
          max_credits: 10_000,
          schedule: NEVER,
          alerts: {
            channels: Object.keys(alertChannels),
            pending_after: "2d",
            balance_below: 10,
            expiring_within_days: 7,
          },
        },
      ],
    }),
  );
  const fullEnv = { ACME_KEY: KEY, ...env };
  const setup = loadService({ config: file }, fullEnv);
  const { ready } = scheduleCampaigns(setup.campaigns, undefined);
  const log = logSink();
  const logger = createServiceLogger({ apiKeys: [KEY], destination: log.stream });
  const alerting = setupAlerts(
    setup,
    ready.map((c) => c.name),
    fullEnv,
    logger,
    options,
  );
  expect(alerting.problems).toEqual(new Map());
  const alerter = alerting.alerter as Alerter;
  const history = new RunHistory(setup.stateDir);
  const { shared } = shareLimits(ready, fullEnv);
  const svc = new CampaignService({
    campaigns: ready.map((c) =>
      campaignPlan(c, shared.get(c.name) ?? {}, {
        logger,
        history,
        alerts: alerter,
        keys: [KEY],
        run: serviceRun,
      }),
    ),
    logger,
    history,
  });
  const scheduler = (svc.schedulers()[0] as { scheduler: SyncScheduler }).scheduler;
  const videos = path.join(folder, "videos.csv");
  return {
    alerter,
    log,
    stateDir: setup.stateDir,
    tick: () => scheduler.tick(),
    /** Three rows' dates made invalid at once (us-v1, fr-v1, uk-v1), or put back. */
    paste: (bad: boolean) => {
      const text = readFileSync(videos, "utf8");
      writeFileSync(
        videos,
        bad
          ? text.replaceAll(",2027-03-01,", ",first of march,")
          : text.replaceAll(",first of march,", ",2027-03-01,"),
      );
    },
  };
}

const balanceReads = () =>
  emu.requestLog().filter((r) => r.method === "GET" && r.path.endsWith("/credits/balance")).length;

describe("alerts end to end", () => {
  it("a bad paste sends one message per channel, the fix one recovery, 100 unchanged runs nothing", async () => {
    const slackUrl = `${http.url}/slack/${SLACK_TOKEN}`;
    const hookUrl = `${http.url}/hook`;
    const channels = {
      "ops-slack": { type: "slack", url_env: "OPS_SLACK_URL" },
      "ops-hook": { type: "webhook", url_env: "OPS_HOOK_URL", secret_env: "OPS_HOOK_SECRET" },
      "ops-mail": {
        type: "email",
        host: "127.0.0.1",
        port: smtp.port,
        user: "alerts",
        password_env: "SMTP_PASSWORD",
        from: "sync@example.com",
        to: ["ops@example.com"],
      },
    };
    const env = {
      OPS_SLACK_URL: slackUrl,
      OPS_HOOK_URL: hookUrl,
      OPS_HOOK_SECRET: HOOK_SECRET,
      SMTP_PASSWORD,
    };
    const options = { attemptTimeoutMs: 5000, queue: { retries: 2, minDelayMs: 20, maxDelayMs: 50 } };
    const s = service("acme", channels, env, options);
    const counts = () => ({
      slack: http.received.filter((r) => r.path.startsWith("/slack/")).length,
      hook: http.received.filter((r) => r.path === "/hook").length,
      mail: smtp.mails.length,
    });
    const delivered = async (n: number, alerter: Alerter = s.alerter) => {
      await alerter.settled();
      await until(() => {
        const c = counts();
        return c.slack === n && c.hook === n && c.mail === n;
      }, `${n} messages per channel`);
    };

    // The first run creates the campaign's bundles: nothing is wrong, nothing is sent.
    const reads0 = balanceReads();
    await s.tick();
    await s.alerter.settled();
    const firstReads = balanceReads() - reads0;
    // The plan's read for its budget (it charges), and the alerts' one (the plan keeps only the total).
    expect(firstReads).toBe(2);
    expect(counts()).toEqual({ slack: 0, hook: 0, mail: 0 });

    // 100 unchanged runs: no message, and the balance is not read again (once per 10 minutes at most).
    const reads1 = balanceReads();
    for (let i = 0; i < 100; i++) await s.tick();
    await s.alerter.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(counts()).toEqual({ slack: 0, hook: 0, mail: 0 });
    const unchangedReads = balanceReads() - reads1;
    expect(unchangedReads).toBe(0);

    // The bad paste: one message per channel, naming the 3 rows.
    s.paste(true);
    await s.tick();
    await delivered(1);
    for (let i = 0; i < 5; i++) await s.tick();
    await s.alerter.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(counts()).toEqual({ slack: 1, hook: 1, mail: 1 });
    // What the status page shows meanwhile: the open condition, by code.
    expect((await s.alerter.openAlerts("acme")).map((o) => o.code)).toEqual(["row_error"]);

    const hook = http.received.find((r) => r.path === "/hook") as (typeof http.received)[number];
    const body = JSON.parse(hook.body);
    expect(body.opened.map((g: { code: string; count: number }) => [g.code, g.count])).toEqual([
      ["row_error", 3],
    ]);
    expect(body.opened[0].rows.map((r: { column: string }) => r.column)).toEqual([
      "target_publish_date",
      "target_publish_date",
      "target_publish_date",
    ]);
    expect(body.opened[0].rows.map((r: { code: string }) => r.code)).toEqual([
      "not_a_date",
      "not_a_date",
      "not_a_date",
    ]);
    expect(body.recovered).toEqual([]);
    const slack = JSON.parse(
      (http.received.find((r) => r.path.startsWith("/slack/")) as { body: string }).body,
    );
    expect(slack.text).toContain("3 rows newly in error");
    expect(smtp.mails[0]?.user).toBe("alerts");
    expect(smtp.mails[0]?.to).toEqual(["ops@example.com"]);
    expect(smtp.mails[0]?.data).toContain("Subject: tokportal-sync acme: 3 alerts");

    // A restart (a new service on the same state folder) while the rows are still bad: nothing is sent again.
    await s.alerter.drain(1000);
    const again = service("acme", channels, env, options);
    expect(again.stateDir).toBe(s.stateDir);
    await again.tick();
    await again.alerter.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(counts()).toEqual({ slack: 1, hook: 1, mail: 1 });

    // The fix: one recovery per channel.
    again.paste(false);
    await again.tick();
    await delivered(2, again.alerter);
    for (let i = 0; i < 5; i++) await again.tick();
    await again.alerter.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(counts()).toEqual({ slack: 2, hook: 2, mail: 2 });
    expect(await again.alerter.openAlerts("acme")).toEqual([]);
    const recovery = JSON.parse(
      (http.received.filter((r) => r.path === "/hook")[1] as { body: string }).body,
    );
    expect(recovery.opened).toEqual([]);
    expect(recovery.recovered.map((g: { code: string; count: number }) => [g.code, g.count])).toEqual([
      ["row_error", 3],
    ]);

    // Every webhook POST verifies: HMAC-SHA256(secret, "<timestamp>.<body>").
    for (const r of http.received.filter((x) => x.path === "/hook")) {
      const ts = String(r.headers[TIMESTAMP_HEADER]);
      const expected = `sha256=${createHmac("sha256", HOOK_SECRET).update(`${ts}.${r.body}`).digest("hex")}`;
      const got = String(r.headers[SIGNATURE_HEADER]);
      expect(got.length).toBe(expected.length);
      expect(timingSafeEqual(Buffer.from(got), Buffer.from(expected))).toBe(true);
      expect(Math.abs(Date.now() / 1000 - Number(ts))).toBeLessThan(60);
    }

    const all = [...s.log.lines, ...again.log.lines].join("\n");
    for (const secret of [SLACK_TOKEN, "slackSecretToken42", HOOK_SECRET, SMTP_PASSWORD, KEY])
      expect(all).not.toContain(secret);
    expect(s.log.lines.filter((l) => l.includes('"alert_sent"')).length).toBe(3);
    expect(again.log.lines.filter((l) => l.includes('"alert_sent"')).length).toBe(3);
    await again.alerter.drain(1000);
    console.info(
      `alerts e2e: first run balance reads ${firstReads}, 100 unchanged runs: 0 messages, ${unchangedReads} balance reads; bad paste: ${JSON.stringify({ slack: 1, hook: 1, mail: 1 })}; fix: 1 recovery each`,
    );
  }, 120_000);

  it("a receiver that is down or hangs holds no run; the stop's drain gives up at its deadline", async () => {
    const hang = await startHttpReceiver("hang");
    const port = await closedPort();
    const s = service(
      "down",
      {
        "hook-closed": { type: "webhook", url_env: "CLOSED_URL" },
        "hook-hanging": { type: "webhook", url_env: "HANGING_URL", secret_env: "HANG_SECRET" },
      },
      {
        CLOSED_URL: `http://127.0.0.1:${port}/x?token=closedSecret`,
        HANGING_URL: `${hang.url}/h?token=hangSecret`,
        HANG_SECRET: HOOK_SECRET,
      },
      // An attempt would wait a minute, retries would last longer than this test.
      { attemptTimeoutMs: 60_000, queue: { retries: 5, minDelayMs: 30_000, maxDelayMs: 60_000 } },
    );
    await s.tick();
    // 10 bad pastes and 10 fixes: 20 messages per channel, while the first is still held.
    let ticks = 0;
    for (let i = 0; i < 10; i++) {
      s.paste(true);
      await s.tick();
      s.paste(false);
      await s.tick();
      ticks += 2;
    }
    await s.alerter.settled();
    await until(() => hang.held() === 1, "the hanging receiver to hold a request");
    expect(ticks).toBe(20);
    // Every run ended while the hanging receiver still held the first message: none was delivered.
    expect(hang.received.length).toBe(1);
    expect(hang.held()).toBe(1);
    expect(s.log.lines.filter((l) => l.includes('"alert_sent"')).length).toBe(0);
    expect(s.log.lines.filter((l) => l.includes('"run_finished"')).length).toBe(21);

    const stopped = s.alerter.drain(200).then(() => "drained");
    const timeout = new Promise((r) => setTimeout(() => r("timeout"), 5000));
    expect(await Promise.race([stopped, timeout])).toBe("drained");
    const failed = s.log.lines.filter((l) => l.includes('"alert_failed"')).map((l) => JSON.parse(l).channel);
    expect(new Set(failed)).toEqual(new Set(["hook-closed", "hook-hanging"]));
    const undelivered = s.log.lines
      .filter((l) => l.includes('"alerts_undelivered"'))
      .map((l) => JSON.parse(l));
    // Per channel: the first run's bundles create nothing wrong, then 20 changes (10 pastes, 10 fixes).
    expect(undelivered.map((l) => l.messages)).toEqual([40]);
    const all = s.log.lines.join("\n");
    for (const secret of ["closedSecret", "hangSecret", HOOK_SECRET, KEY]) expect(all).not.toContain(secret);
    await hang.close();
    console.info(
      `alerts down: ${ticks + 1} runs ended, ${hang.received.length} request held by the hanging receiver, 0 delivered`,
    );
  }, 120_000);
});
