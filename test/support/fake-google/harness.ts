/**
 * Google as a child process of `tokportal-sync` sees it, with no network: the fake identity endpoints and
 * the fake Sheets server behind a TLS-terminating proxy (HTTPS_PROXY, the test's CA in
 * NODE_EXTRA_CA_CERTS), the metadata server on GCE_METADATA_HOST, and TokPortal's sandbox emulator. Each
 * test gets a fresh directory (config, credentials files, the sign-in directory) and a fresh campaign
 * spreadsheet (one bundle, one video).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { BUNDLE_HEADER, campaignRows, VIDEO_HEADER } from "../campaign.ts";
import { cliEntry } from "../cli-entry.ts";
import { sharedEmulator } from "../emulator.ts";
import { type FakeSheets, startFakeSheets } from "../fake-sheets/server.ts";
import { createTestCa, type TestCa } from "./ca.ts";
import { type FakeGoogleProxy, forwardTo, startFakeGoogleProxy } from "./proxy.ts";
import { FakeGoogle } from "./server.ts";

export const SPREADSHEET_ID = "campaign-sheet-0001";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function fakeGoogleHarness() {
  const emu = sharedEmulator();
  let ca: TestCa;
  let google: FakeGoogle;
  let sheets: FakeSheets;
  let proxy: FakeGoogleProxy;
  let metadataHost = "";
  let dir = "";
  let key = "";

  beforeAll(async () => {
    ca = createTestCa();
  });
  afterAll(() => ca?.dispose());

  beforeEach(async () => {
    google = new FakeGoogle();
    metadataHost = await google.startMetadata();
    sheets = await startFakeSheets({ tokens: google.sheetsTokens });
    proxy = await startFakeGoogleProxy(ca, {
      ...google.routes(),
      "sheets.googleapis.com": google.sheetsGate(forwardTo(sheets.rootUrl)),
    });
    dir = mkdtempSync(path.join(tmpdir(), "tps-google-"));
    key = emu.createKey({ credits: 10_000 }).apiKey;
  });

  afterEach(async () => {
    await proxy.close();
    await sheets.close();
    await google.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The campaign spreadsheet, shared with these identities (e-mails). */
  function campaignSheet(sharedWith: string[]): void {
    const { bundles, videos } = campaignRows({ bundles: 1, videosPerBundle: 1 });
    const table = (header: readonly string[], rows: Record<string, string>[]) => [
      [...header],
      ...rows.map((r) => header.map((h) => r[h] ?? "")),
    ];
    sheets.createSpreadsheet({
      id: SPREADSHEET_ID,
      tabs: [
        { title: "bundles", rows: table(BUNDLE_HEADER, bundles) },
        { title: "videos", rows: table(VIDEO_HEADER, videos) },
      ],
      sharedWith: google.sharingFor(sharedWith),
    });
  }

  /** A column of a tab, by header, below the header. */
  function column(tab: string, name: string): string[] {
    const rows = sheets.tab(SPREADSHEET_ID, tab).rows;
    const header = (rows[0] ?? []).map((c) => (c && "v" in c ? String(c.v) : ""));
    const i = header.indexOf(name);
    return rows.slice(1).map((r) => {
      const c = i === -1 ? undefined : r[i];
      return c && "v" in c ? String(c.v) : "";
    });
  }

  function file(name: string, content: unknown): string {
    const p = path.join(dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 2));
    return p;
  }

  function writeConfig(source: Record<string, unknown> = {}): string {
    return file("tokportal-sync.json", {
      tokportal: { base_url: "https://tokportal.invalid/api/ext" },
      source: {
        type: "google_sheets",
        spreadsheet_id: SPREADSHEET_ID,
        bundles_tab: "bundles",
        videos_tab: "videos",
        ...source,
      },
      ref_prefix: "g-",
      defaults: { publish: true },
    });
  }

  /** The environment of a user on a corporate network, with nothing of the test runner's own Google setup. */
  function env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const base: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: path.join(dir, "home"),
      TOKPORTAL_BASE_URL: emu.url,
      TOKPORTAL_API_KEY: key,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: "127.0.0.1,localhost",
      NODE_EXTRA_CA_CERTS: ca.caFile,
      TOKPORTAL_SYNC_CONFIG_DIR: path.join(dir, "login"),
      // Not on Google Cloud unless a test says so: no probe of a metadata server that is not there.
      METADATA_SERVER_DETECTION: "none",
      ...extra,
    };
    return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
  }

  /** Runs the CLI; `onLine` sees stdout and stderr as they come (to act as the browser or the device). */
  function run(
    args: string[],
    extraEnv: Record<string, string | undefined> = {},
    onOutput?: (text: string) => void,
  ): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliEntry(), ...args], {
        cwd: dir,
        env: env(extraEnv),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString("utf8");
        onOutput?.(stdout + stderr);
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString("utf8");
        onOutput?.(stdout + stderr);
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  return {
    google: () => google,
    sheets: () => sheets,
    proxy: () => proxy,
    metadataHost: () => metadataHost,
    dir: () => dir,
    campaignSheet,
    column,
    file,
    writeConfig,
    run,
  };
}
