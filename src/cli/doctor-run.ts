/**
 * What `tokportal-sync doctor` does: find TokPortal and the key as the other commands do (the config and
 * the environment; the sandbox in-process), run the checks, print the table or the JSON report, and save
 * the report when asked. With a Google Sheet it first checks the credentials and reads the sheet's title
 * and tabs (one read); it never writes to the sheet and takes no run lock.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { PRODUCTION_BASE_URL, TokPortalClient } from "../api/client.ts";
import { CLIENT_VERSION } from "../api/request.ts";
import { ConfigError } from "../config/errors.ts";
import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/load.ts";
import { doctorCalls } from "../doctor/calls.ts";
import { runGoogleChecks } from "../doctor/google.ts";
import { runDoctor } from "../doctor/run.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { GoogleSheetsSource } from "../sources/google-sheets.ts";
import { errorText } from "./command.ts";
import {
  buildReport,
  formatHeader,
  formatTable,
  formatVerdict,
  reportForBugReport,
  type Target,
} from "./doctor-render.ts";
import { type CommandIO, saveFile, write } from "./io.ts";
import { exitCodeForError } from "./outcome.ts";
import { redact } from "./output.ts";
import { openRuntime } from "./runtime.ts";

export interface DoctorFlags {
  config: string;
  sandbox?: boolean;
  json?: boolean;
  save?: string;
}

interface Opened {
  client: TokPortalClient;
  apiKey: string;
  target: Target;
  /** The config's Google Sheet, when its source is one: checked first (google.* checks). */
  sheet: GoogleSheetsSource | null;
  close(): Promise<void>;
}

const KEY_FORMAT = /^sk_[0-9a-f]{64}$/;

/**
 * TokPortal as the config says (the config's sandbox in `.sandbox/` next to it, so the doctor sees the
 * world plan and sync see); without a config file, as the environment says.
 */
async function open(flags: DoctorFlags, env: Record<string, string | undefined>): Promise<Opened> {
  const hasConfig = flags.config !== DEFAULT_CONFIG_FILE || existsSync(path.resolve(flags.config));
  if (hasConfig) {
    const loaded = loadConfig(flags.config, env, { requireApiKey: !flags.sandbox });
    const runtime = await openRuntime(flags.sandbox ? { ...loaded, baseUrl: "sandbox" } : loaded);
    const baseUrl = runtime.sandbox ? "sandbox" : loaded.baseUrl;
    return {
      client: runtime.client,
      apiKey: runtime.apiKey,
      target: targetOf(baseUrl),
      sheet: runtime.source instanceof GoogleSheetsSource ? runtime.source : null,
      close: runtime.close,
    };
  }
  const apiKey = env.TOKPORTAL_API_KEY?.trim() || null;
  if (apiKey !== null && !KEY_FORMAT.test(apiKey))
    throw new ConfigError(
      "TOKPORTAL_API_KEY does not look like a TokPortal API key (sk_ followed by 64 lowercase hex characters); copy it again from TokPortal's settings.",
    );
  if (flags.sandbox) {
    const { startEmulator, DEFAULT_API_KEY } = await import("../emulator/index.ts");
    const key = apiKey ?? DEFAULT_API_KEY;
    const emu = await startEmulator({ port: 0, quiet: true, apiKey: key });
    const client = new TokPortalClient({ baseUrl: emu.url, apiKey: key });
    return {
      client,
      apiKey: key,
      target: "sandbox",
      sheet: null,
      close: async () => {
        await client.close().catch(() => undefined);
        await emu.stop();
      },
    };
  }
  if (apiKey === null)
    throw new ConfigError(
      "TOKPORTAL_API_KEY is not set: export your TokPortal API key in the environment, or run `tokportal-sync doctor --sandbox` to try the local sandbox.",
    );
  const baseUrl = env.TOKPORTAL_BASE_URL?.trim() || PRODUCTION_BASE_URL;
  const client = new TokPortalClient({ baseUrl, apiKey });
  return { client, apiKey, target: targetOf(baseUrl), sheet: null, close: () => client.close() };
}

function targetOf(baseUrl: string): Target {
  if (baseUrl === "sandbox") return "sandbox";
  return baseUrl.replace(/\/$/, "") === PRODUCTION_BASE_URL ? "production" : "custom";
}

function whereText(target: Target, client: TokPortalClient): string {
  if (target === "sandbox") return "the sandbox (a local emulator; simulated account and credits)";
  if (target === "production") return `${client.baseUrl} (your account)`;
  return client.baseUrl;
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runDoctorCommand(flags: DoctorFlags, io: CommandIO): Promise<ExitCode> {
  let opened: Opened | null = null;
  let apiKey: string | null = io.env.TOKPORTAL_API_KEY?.trim() || null;
  try {
    opened = await open(flags, io.env);
    apiKey = opened.apiKey;
    if (!flags.json)
      await write(
        io.stdout,
        redact(
          formatHeader(whereText(opened.target, opened.client), {
            color: io.color,
            ...(opened.sheet ? { sheet: opened.sheet.describe() } : {}),
          }),
          apiKey,
        ),
      );
    // The sheet first, as a run reads it first; TokPortal's checks do not depend on it.
    const google = opened.sheet ? await runGoogleChecks(opened.sheet) : [];
    const tokportal = await runDoctor(doctorCalls(opened.client));
    const run = { ...tokportal, results: [...google, ...tokportal.results] };
    const bad = run.results.some((r) => ["differs", "unreadable", "failed"].includes(r.outcome));
    const code: ExitCode = run.keyRefused ? EXIT.auth : bad ? EXIT.rowsFailed : EXIT.ok;
    const report = buildReport(run.results, {
      toolVersion: CLIENT_VERSION,
      target: opened.target,
      exitCode: code,
    });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (flags.save !== undefined) {
      const saved = `${JSON.stringify(reportForBugReport(report), null, 2)}\n`;
      await saveFile(flags.save, redact(saved, apiKey), "the report");
    }
    if (flags.json) {
      await write(io.stdout, redact(json, apiKey));
    } else {
      const saved =
        flags.save !== undefined ? `Report saved to ${flags.save} (no key, no account data).\n` : "";
      const text =
        formatTable(report, { color: io.color }) + formatVerdict(report, { color: io.color }) + saved;
      await write(io.stdout, redact(text, apiKey));
    }
    return code;
  } catch (err) {
    const code = exitCodeForError(err);
    await write(io.stderr, redact(errorText(err, io.env), apiKey));
    return code;
  } finally {
    await opened?.close().catch(() => undefined);
  }
}
