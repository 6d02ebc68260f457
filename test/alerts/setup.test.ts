/**
 * Alert settings as config: a bad value, a channel name the service does not define or a variable that is
 * not set is one line naming the field and the fix, never the variable's value; `cron` refuses to start
 * a single campaign with such a problem, as with any config error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { setupAlerts } from "../../src/alerts/setup.ts";
import { runCronCommand } from "../../src/cli/cron-run.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadService } from "../../src/config/service.ts";
import type { RunRecord } from "../../src/service/run-record.ts";
import { startHttpReceiver } from "./receivers.ts";

const dir = mkdtempSync(path.join(tmpdir(), "tps-alert-setup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const campaign = (alerts: unknown) => ({
  tokportal: { base_url: "sandbox" },
  source: { type: "csv", videos: "videos.csv" },
  schedule: "*/15 * * * *",
  alerts,
});

function write(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const quiet = pino({ enabled: false });

describe("alert settings", () => {
  it("names the field and the fix for a missing variable, an unknown channel and a value that is not a URL", () => {
    const file = write("service.json", {
      alert_channels: {
        "ops-slack": { type: "slack", url_env: "OPS_SLACK_URL" },
        "ops-mail": {
          type: "email",
          host: "smtp.example.com",
          user: "alerts",
          from: "a@example.com",
          to: ["b@example.com"],
        },
      },
      campaigns: [
        { name: "acme", ...campaign({ channels: ["ops-slack", "nope"] }) },
        {
          name: "beta",
          ...campaign({ channels: [{ type: "webhook", url_env: "BETA_HOOK", secret_env: "BETA_SECRET" }] }),
        },
        { name: "gamma", ...campaign({ channels: ["ops-mail"] }) },
        { name: "delta", ...campaign({ channels: [{ type: "webhook", url_env: "DELTA_HOOK" }] }) },
      ],
    });
    const env = { BETA_HOOK: "not a url with secretValue123", DELTA_HOOK: "https://example.com/hook" };
    const setup = loadService({ config: file }, env);
    const { problems, alerter } = setupAlerts(setup, ["acme", "beta", "gamma", "delta"], env, quiet);
    expect(Object.fromEntries(problems)).toEqual({
      acme: [
        `campaign "acme": ${file}: alert_channels.ops-slack.url_env: OPS_SLACK_URL is not set: export the Slack incoming webhook URL in the environment (the config never holds it).`,
        `campaign "acme": ${file}: campaigns[0] (acme): alerts.channels[1]: no channel named "nope": name one of "ops-slack", "ops-mail", or write the channel here.`,
      ],
      beta: [
        `campaign "beta": ${file}: campaigns[1] (beta): alerts.channels[0].url_env: BETA_HOOK is not an http(s) URL: set it to the URL to POST alerts to.`,
        `campaign "beta": ${file}: campaigns[1] (beta): alerts.channels[0].secret_env: BETA_SECRET is not set: export the webhook's signing secret in the environment (the config never holds it).`,
      ],
      gamma: [
        `campaign "gamma": ${file}: alert_channels.ops-mail.password_env: missing; a channel with "user" needs the variable holding the SMTP password, like "SMTP_PASSWORD".`,
      ],
    });
    expect(JSON.stringify([...problems])).not.toContain("secretValue123");
    expect(alerter?.has("delta")).toBe(true);
  });

  it("a bad threshold is a config error of the campaign, one line", () => {
    const file = write(
      "bad-threshold.json",
      campaign({ channels: ["x"], pending_after: "6 hours", balance_below: -1 }),
    );
    expect(() => loadService({ config: file }, {})).toThrow(ConfigError);
    try {
      loadService({ config: file }, {});
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        `${file}: alerts.pending_after: expected a duration like "90m", "6h" or "2d", got "6 hours"`,
        `${file}: alerts.balance_below: expected a whole number of credits >= 0, got -1`,
      ]);
    }
  });

  it("cron does not start a single campaign whose alert channel's variable is missing", async () => {
    const file = write("single.json", campaign({ channels: [{ type: "slack", url_env: "ACME_SLACK_URL" }] }));
    let stderr = "";
    const code = await runCronCommand(
      { config: file, healthHost: "127.0.0.1" },
      {
        stderr: new Writable({
          write(chunk, _e, done) {
            stderr += String(chunk);
            done();
          },
        }),
        env: {},
        logger: quiet,
        stopSignal: new Promise(() => undefined),
      },
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      `alerts.channels[0].url_env: ACME_SLACK_URL is not set: export the Slack incoming webhook URL in the environment (the config never holds it).`,
    );
  });

  it("a Google Sheets campaign's message links to its sheet; a failed run opens run_failed", async () => {
    const hook = await startHttpReceiver("ok");
    const file = write("sheets.json", {
      ...campaign({ channels: [{ type: "webhook", url_env: "HOOK" }] }),
      source: { type: "google_sheets", spreadsheet_id: "1AbCdEfGhIjK", videos_tab: "videos" },
    });
    const env = { HOOK: `${hook.url}/h` };
    const { alerter } = setupAlerts(loadService({ config: file }, env), ["sheets"], env, quiet);
    const record = {
      campaign: "sheets",
      status: "failed",
      stopped: false,
      finishedAt: "2026-09-01T12:00:00.000Z",
      error: "The spreadsheet cannot be reached.",
    } as RunRecord;
    alerter?.runEnded("sheets", record, null);
    await alerter?.drain(5000);
    const body = JSON.parse(hook.received[0]?.body ?? "{}");
    expect(body.sheet_url).toBe("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjK/edit");
    expect(body.opened.map((g: { code: string }) => g.code)).toEqual(["run_failed"]);
    expect(body.text).toContain("The run failed: The spreadsheet cannot be reached.");
    await hook.close();
  });
});
