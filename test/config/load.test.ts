import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PRODUCTION_BASE_URL } from "../../src/api/client.ts";
import { ConfigError, loadConfig } from "../../src/config/index.ts";

const dir = mkdtempSync(path.join(tmpdir(), "tps-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = `sk_${"ab12".repeat(16)}`;
const ENV = { TOKPORTAL_API_KEY: KEY };
const MINIMAL = { source: { type: "csv", videos: "videos.csv" } };

let n = 0;
/** Writes a config file (text or a value as JSON) and returns its path. */
function file(content: unknown, name = `c${n++}.json`): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return p;
}

/** The ConfigError lines loading this config gives (fails the test when it loads). */
function problems(content: unknown, env: Record<string, string | undefined> = ENV): string[] {
  const p = file(content);
  try {
    loadConfig(p, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).problems;
    expect((err as Error).message).toBe(lines.join("\n"));
    for (const line of lines) expect(line).not.toContain("\n");
    return lines.map((l) => (l.startsWith(`${p}: `) ? l.slice(p.length + 2) : l));
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig: a valid file", () => {
  it("fills every default and resolves paths against the file's directory", () => {
    const p = file(MINIMAL);
    const loaded = loadConfig(p, ENV);
    expect(loaded.file).toBe(p);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.apiKey).toBe(KEY);
    expect(loaded.baseUrl).toBe(PRODUCTION_BASE_URL);
    expect(loaded.config).toEqual({
      tokportal: { base_url: PRODUCTION_BASE_URL },
      source: { type: "csv", videos: "videos.csv" },
      ref_prefix: "",
      defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: false },
      max_credits: null,
      analytics: true,
    });
    expect(loaded.source).toEqual({ type: "csv", videos: "videos.csv" });
  });

  it("keeps every field given, and hands the columns aliases to the source", () => {
    const full = {
      $schema: "./config.schema.json",
      tokportal: { base_url: "http://127.0.0.1:4010/api/ext", concurrency: 8 },
      source: {
        type: "csv",
        bundles: "b.csv",
        videos: "v.csv",
        delimiter: ";",
        date_format: "DD/MM/YYYY",
        output: { bundles: "out/b.csv", videos: "out/v.csv" },
      },
      ref_prefix: "spring-2026:",
      columns: { bundles: { "Account name": "visible_name" }, videos: { Caption: "description" } },
      defaults: { platform: "instagram", bundle_type: "videos_only", publish: true },
      max_credits: 0,
      analytics: false,
      schedule: "*/15 * * * *",
      timezone: "Europe/Paris",
    };
    const loaded = loadConfig(file(full), ENV);
    expect(loaded.config).toEqual(full);
    expect(loaded.baseUrl).toBe("http://127.0.0.1:4010/api/ext");
    expect(loaded.source).toEqual({ ...full.source, columns: full.columns });
  });

  it("accepts a Google Sheets source and a one-map columns alias", () => {
    const loaded = loadConfig(
      file({
        source: {
          type: "google_sheets",
          spreadsheet_id: "1AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abc",
          bundles_tab: "Bundles",
          videos_tab: "Videos",
          credentials: "sa.json",
        },
        columns: { "Account name": "visible_name" },
      }),
      ENV,
    );
    expect(loaded.source).toMatchObject({
      type: "google_sheets",
      columns: { "Account name": "visible_name" },
    });
  });

  it("takes the key from TOKPORTAL_API_KEY and the URL from TOKPORTAL_BASE_URL", () => {
    const p = file({ ...MINIMAL, tokportal: { base_url: "https://example.com/api/ext" } });
    const loaded = loadConfig(p, {
      TOKPORTAL_API_KEY: ` ${KEY}\n`,
      TOKPORTAL_BASE_URL: "http://127.0.0.1:9/api/ext/",
    });
    expect(loaded.apiKey).toBe(KEY);
    expect(loaded.baseUrl).toBe("http://127.0.0.1:9/api/ext");
    expect(loadConfig(p, { TOKPORTAL_API_KEY: KEY, TOKPORTAL_BASE_URL: "sandbox" }).baseUrl).toBe("sandbox");
  });

  it("lets the sandbox run without a key, and no other URL", () => {
    const sandbox = loadConfig(file({ ...MINIMAL, tokportal: { base_url: "sandbox" } }), {});
    expect(sandbox.baseUrl).toBe("sandbox");
    expect(sandbox.apiKey).toBeNull();
    expect(problems(MINIMAL, {})).toEqual([
      expect.stringMatching(/^TOKPORTAL_API_KEY is not set: export your TokPortal API key/),
    ]);
    expect(loadConfig(file(MINIMAL), {}, { requireApiKey: false }).apiKey).toBeNull();
  });

  it("strips a UTF-8 byte order mark", () => {
    expect(loadConfig(file(`\uFEFF${JSON.stringify(MINIMAL)}`), ENV).config.source.type).toBe("csv");
  });
});

describe("loadConfig: every field's error names its path and what it expects", () => {
  const cases: Array<[string, unknown, string]> = [
    [
      "source.videos",
      { source: { type: "csv", videos: 3 } },
      "source.videos: expected a file path (string), got 3",
    ],
    [
      "source.videos missing",
      { source: { type: "csv" } },
      "source.videos: missing; expected a file path (string)",
    ],
    [
      "source.videos empty",
      { source: { type: "csv", videos: "" } },
      "source.videos: expected a file path (string), got an empty string",
    ],
    [
      "source.bundles",
      { source: { type: "csv", videos: "v", bundles: false } },
      "source.bundles: expected a file path (string), got false",
    ],
    [
      "source.delimiter",
      { source: { type: "csv", videos: "v", delimiter: ":" } },
      'source.delimiter: expected one of ",", ";", "|", "tab", got ":"',
    ],
    [
      "source.date_format",
      { source: { type: "csv", videos: "v", date_format: "YYYY/MM/DD" } },
      'source.date_format: expected one of "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", got "YYYY/MM/DD"',
    ],
    [
      "source.output",
      { source: { type: "csv", videos: "v", output: "out.csv" } },
      'source.output: expected an object like {"bundles": "out/bundles.csv", "videos": "out/videos.csv"}, got "out.csv"',
    ],
    [
      "source.output.videos",
      { source: { type: "csv", videos: "v", output: { videos: 1 } } },
      "source.output.videos: expected a file path (string), got 1",
    ],
    ["source missing", {}, 'source: missing; expected an object with "type": "csv", "google_sheets"'],
    [
      "source.type",
      { source: { type: "xls", videos: "v" } },
      'source.type: expected one of "csv", "google_sheets", got "xls"',
    ],
    [
      "source.type missing",
      { source: { videos: "v" } },
      'source.type: missing; expected one of "csv", "google_sheets"',
    ],
    [
      "source.spreadsheet_id",
      { source: { type: "google_sheets", spreadsheet_id: "https://docs.google.com/x", videos_tab: "V" } },
      "source.spreadsheet_id: expected the spreadsheet id, the part of its URL between /d/ and /edit",
    ],
    [
      "source.videos_tab",
      { source: { type: "google_sheets", spreadsheet_id: "1AbCdEfGhIjKlMnOp" } },
      "source.videos_tab: missing; expected a tab name (string)",
    ],
    [
      "source.bundles_tab",
      {
        source: {
          type: "google_sheets",
          spreadsheet_id: "1AbCdEfGhIjKlMnOp",
          videos_tab: "V",
          bundles_tab: 2,
        },
      },
      "source.bundles_tab: expected a tab name (string), got 2",
    ],
    [
      "source.credentials",
      {
        source: {
          type: "google_sheets",
          spreadsheet_id: "1AbCdEfGhIjKlMnOp",
          videos_tab: "V",
          credentials: {},
        },
      },
      "source.credentials: expected a file path (string), got an object",
    ],
    [
      "tokportal",
      { ...MINIMAL, tokportal: "sandbox" },
      'tokportal: expected an object like {"base_url": "sandbox"}, got "sandbox"',
    ],
    [
      "tokportal.base_url",
      { ...MINIMAL, tokportal: { base_url: "ftp://example.com" } },
      'tokportal.base_url: expected "sandbox" or an http(s) URL',
    ],
    [
      "tokportal.base_url query",
      { ...MINIMAL, tokportal: { base_url: "https://example.com/api?x=1" } },
      'tokportal.base_url: expected "sandbox" or an http(s) URL',
    ],
    [
      "tokportal.concurrency",
      { ...MINIMAL, tokportal: { concurrency: 40 } },
      "tokportal.concurrency: expected a whole number from 1 to 32, got 40",
    ],
    [
      "tokportal.concurrency fraction",
      { ...MINIMAL, tokportal: { concurrency: 2.5 } },
      "tokportal.concurrency: expected a whole number from 1 to 32, got 2.5",
    ],
    [
      "ref_prefix chars",
      { ...MINIMAL, ref_prefix: "spring 2026/" },
      "ref_prefix: expected only letters, digits and _ . : -",
    ],
    [
      "ref_prefix length",
      { ...MINIMAL, ref_prefix: "x".repeat(101) },
      "ref_prefix: expected at most 100 characters",
    ],
    [
      "ref_prefix type",
      { ...MINIMAL, ref_prefix: 7 },
      "ref_prefix: expected a string of letters, digits and _ . : - (at most 100), got 7",
    ],
    [
      "columns flat",
      { ...MINIMAL, columns: { "Account name": 3 } },
      'columns["Account name"]: expected a column name (string), like "visible_name", got 3',
    ],
    [
      "columns per table",
      { ...MINIMAL, columns: { bundles: { Handle: ["username"] } } },
      'columns.bundles.Handle: expected a column name (string), like "visible_name", got a list',
    ],
    ["columns type", { ...MINIMAL, columns: ["a"] }, "columns: expected header aliases"],
    ["defaults", { ...MINIMAL, defaults: true }, "defaults: expected an object like"],
    [
      "defaults.platform",
      { ...MINIMAL, defaults: { platform: "youtube" } },
      'defaults.platform: expected one of "tiktok", "instagram", got "youtube"',
    ],
    [
      "defaults.bundle_type",
      { ...MINIMAL, defaults: { bundle_type: "videos" } },
      'defaults.bundle_type: expected one of "account_and_videos", "account_only", "videos_only", got "videos"',
    ],
    [
      "defaults.publish",
      { ...MINIMAL, defaults: { publish: "yes" } },
      'defaults.publish: expected true or false, got "yes"',
    ],
    [
      "max_credits",
      { ...MINIMAL, max_credits: -5 },
      "max_credits: expected a whole number of credits >= 0, or null for no budget, got -5",
    ],
    [
      "max_credits type",
      { ...MINIMAL, max_credits: "100" },
      'max_credits: expected a whole number of credits >= 0, or null for no budget, got "100"',
    ],
    ["analytics", { ...MINIMAL, analytics: 1 }, "analytics: expected true or false, got 1"],
    [
      "schedule",
      { ...MINIMAL, schedule: "every hour" },
      'schedule: expected a cron expression like "*/15 * * * *", got "every hour"',
    ],
    [
      "timezone",
      { ...MINIMAL, timezone: "Europe/Atlantis" },
      'timezone: expected an IANA time zone like "Europe/Paris" or "UTC", got "Europe/Atlantis"',
    ],
    [
      "$schema",
      { ...MINIMAL, $schema: 1 },
      "$schema: expected a URL or path of the JSON Schema (string), got 1",
    ],
    ["top level", [], "(top level): expected a JSON object, got an empty list"],
  ];
  it.each(cases)("%s", (_name, config, line) => {
    const lines = problems(config);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(line);
    expect(lines[0]!.startsWith(line)).toBe(true);
  });

  it("starts every line with the file's name as given", () => {
    const p = file({ source: { type: "csv", videos: 3 } }, "tokportal-sync.json");
    const rel = path.relative(process.cwd(), p);
    expect(() => loadConfig(rel, ENV)).toThrow(`${rel}: source.videos: expected a file path (string), got 3`);
  });

  it("reports every problem at once, one line each, in the file's order", () => {
    expect(problems({ tokportal: { concurrency: 0 }, source: { type: "csv" }, max_credits: 1.5 })).toEqual([
      "tokportal.concurrency: expected a whole number from 1 to 32, got 0",
      "source.videos: missing; expected a file path (string)",
      "max_credits: expected a whole number of credits >= 0, or null for no budget, got 1.5",
    ]);
  });

  it("names unknown keys, what the object accepts, and the close one for a typo", () => {
    expect(problems({ ...MINIMAL, tokportal: { baseUrl: "sandbox" }, refprefix: "x" })).toEqual([
      'tokportal.baseUrl: unknown key; did you mean "base_url"? (expected one of: base_url, concurrency, max_wait_seconds, api_key_env, webhook_secret_env)',
      expect.stringMatching(
        /^refprefix: unknown key; did you mean "ref_prefix"\? \(expected one of: \$schema, tokportal, source, ref_prefix/,
      ),
    ]);
    expect(problems({ source: { type: "csv", videos: "v", tab: "x" } })).toEqual([
      "source.tab: unknown key (expected one of: type, bundles, videos, delimiter, date_format, output, run_log, analytics_history)",
    ]);
    expect(
      problems({
        source: { type: "google_sheets", spreadsheet_id: "1AbCdEfGhIjKlMnOp", videos_tab: "V", videos: "v" },
      }),
    ).toEqual([
      expect.stringMatching(
        /^source\.videos: unknown key; did you mean "videos_tab"\? \(expected one of: type, spreadsheet_id/,
      ),
    ]);
  });
});

describe("loadConfig: the API key never comes from the file", () => {
  it("refuses a key-looking value anywhere, without showing it", () => {
    const secret = `sk_${"9f".repeat(32)}`;
    const lines = problems({ ...MINIMAL, tokportal: { base_url: "sandbox", api_key: secret } });
    expect(lines).toEqual([
      "tokportal.api_key: looks like an API key; the key is never read from the config file: set TOKPORTAL_API_KEY in the environment instead, and remove it from this file",
    ]);
    const elsewhere = problems({ ...MINIMAL, ref_prefix: secret });
    expect(elsewhere[0]).toMatch(/^ref_prefix: looks like an API key/);
    expect(elsewhere.join("\n")).not.toContain(secret);
  });

  it("refuses a key field even when its value does not look like a key", () => {
    expect(problems({ ...MINIMAL, tokportal: { apiKey: "$TOKPORTAL_API_KEY" } })).toEqual([
      "tokportal.apiKey: the API key is never read from the config file: set TOKPORTAL_API_KEY in the environment instead, and remove it from this file",
    ]);
  });

  it("does not echo a malformed TOKPORTAL_API_KEY", () => {
    const bad = "sk_live_not_hex_but_secret_0123456789";
    const lines = problems(MINIMAL, { TOKPORTAL_API_KEY: bad });
    expect(lines).toEqual([
      expect.stringMatching(/^TOKPORTAL_API_KEY does not look like a TokPortal API key/),
    ]);
    expect(lines.join("")).not.toContain(bad);
  });

  it("refuses a bad TOKPORTAL_BASE_URL, naming the variable", () => {
    expect(problems(MINIMAL, { ...ENV, TOKPORTAL_BASE_URL: "localhost:4010" })).toEqual([
      'TOKPORTAL_BASE_URL: expected "sandbox" or an http(s) URL without credentials or query, got "localhost:4010"',
    ]);
  });
});

describe("loadConfig: files that cannot be read", () => {
  it("a missing file says which and how to create one", () => {
    const missing = path.join(dir, "nope", "tokportal-sync.json");
    expect(() => loadConfig(missing, ENV)).toThrow(
      `${missing}: no such config file. Create one from the example (cp config.example.json tokportal-sync.json) and edit it, or pass another with -c FILE.`,
    );
  });

  it("a directory is not a config", () => {
    const d = path.join(dir, "adir");
    mkdirSync(d);
    expect(() => loadConfig(d, ENV)).toThrow(`${d}: is a directory; expected a JSON config file.`);
  });

  const broken: Array<[string, string, string]> = [
    ["a missing value", '{\n  "ref_prefix": \n}', ':3:1: invalid JSON: unexpected "}"; expected a value'],
    [
      "a trailing comma",
      '{\n  "source": {"type": "csv", "videos": "v.csv"},\n}',
      ":3:1: invalid JSON: a comma before } (JSON allows no trailing comma)",
    ],
    [
      "a missing comma",
      '{\n  "ref_prefix": "a"\n  "analytics": true\n}',
      ':3:3: invalid JSON: unexpected "\\""; expected , or } (is a comma missing?)',
    ],
    [
      "a single-quoted key",
      "{'a': 1}",
      `:1:2: invalid JSON: unexpected "'"; expected a key in double quotes`,
    ],
    [
      "an unclosed string",
      '{\n "a": "x\n}',
      ":2:9: invalid JSON: a line break or control character inside a string",
    ],
    [
      "a Windows path",
      '{"videos": "C:\\data\\v.csv"}',
      ":1:15: invalid JSON: bad escape in a string (write \\\\ for a backslash, e.g. in Windows paths)",
    ],
    [
      "a comment",
      '{\n  // the campaign\n  "a": 1\n}',
      ':2:3: invalid JSON: unexpected "/"; expected a key in double quotes',
    ],
    ["an empty file", "", ":1:1: invalid JSON: the file is empty; expected a JSON object"],
    [
      "text after the object",
      '{"a": 1} x',
      ':1:10: invalid JSON: unexpected "x" after the end of the JSON value',
    ],
  ];
  it.each(broken)("invalid JSON (%s) gives its line and column", (_name, text, tail) => {
    const p = file(text);
    let error: unknown;
    try {
      loadConfig(p, ENV);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(1);
    expect((error as Error).message).toContain(`${p}${tail}`);
  });
});
