/**
 * Credentials for the Sheets source: every missing or unusable credential is one line that names the file
 * or variable and the fix; access tokens and API keys reach the fake server and never appear in errors.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { isSourceError, SheetsAuthError } from "../../src/sources/index.ts";
import { resolveSheetsAuth } from "../../src/sources/sheets-auth.ts";
import { SheetsCalls, SheetsSourceError } from "../../src/sources/sheets-calls.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sheets-auth-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function authError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SheetsAuthError);
  expect(isSourceError(err)).toBe(true);
  const message = (err as Error).message;
  expect(message).not.toContain("\n");
  return message;
}

describe("resolveSheetsAuth", () => {
  async function code(p: Promise<unknown>): Promise<[string, string]> {
    const message = await authError(p);
    const err = await p.catch((e: unknown) => e);
    return [(err as SheetsAuthError).code, message];
  }

  it("names a missing file and where its path came from", async () => {
    const missing = join(dir, "nope.json");
    const [c, message] = await code(resolveSheetsAuth({ env: { GOOGLE_APPLICATION_CREDENTIALS: missing } }));
    expect(c).toBe("file_missing");
    expect(message).toContain(`${missing} (from GOOGLE_APPLICATION_CREDENTIALS) does not exist`);
    const [, fromConfig] = await code(resolveSheetsAuth({ credentials: missing, env: {} }));
    expect(fromConfig).toContain(`${missing} (from credentials: in the config) does not exist`);
  });

  it("rejects a file that is not JSON, of a type Google does not issue, or an OAuth client file", async () => {
    const broken = await file("broken.json", "{ not json");
    expect((await code(resolveSheetsAuth({ credentials: broken, env: {} })))[0]).toBe("file_not_json");
    const odd = await file("odd.json", JSON.stringify({ type: "api_key" }));
    expect(await code(resolveSheetsAuth({ credentials: odd, env: {} }))).toEqual([
      "file_unknown_type",
      expect.stringContaining('is of type "api_key", which Google\'s libraries do not load'),
    ]);
    const client = await file("client.json", JSON.stringify({ installed: { client_id: "x" } }));
    const [c, message] = await code(resolveSheetsAuth({ credentials: client, env: {} }));
    expect(c).toBe("file_unknown_type");
    expect(message).toContain("tokportal-sync login --client FILE");
  });

  it("loads an authorized_user file as Google's libraries do, no longer refusing it", async () => {
    const user = await file(
      "user.json",
      JSON.stringify({ type: "authorized_user", client_id: "x", client_secret: "y", refresh_token: "z" }),
    );
    const resolved = await resolveSheetsAuth({ credentials: user, env: {} });
    expect(resolved.info).toMatchObject({
      kind: "authorized_user",
      origin: "config",
      file: user,
      account: null,
    });
    expect(resolved.origin).toBe(
      `a user sign-in (authorized_user) ${user} (from credentials: in the config)`,
    );
  });

  it("looks in order: config file, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, the stored login", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const key = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const sa = await file(
      "sa.json",
      JSON.stringify({
        type: "service_account",
        project_id: "demo",
        client_email: "sync@demo.iam.gserviceaccount.com",
        private_key: key,
      }),
    );
    const loginDir = join(dir, "login");
    await mkdir(loginDir, { recursive: true });
    await writeFile(
      join(loginDir, "google-login.json"),
      JSON.stringify({
        type: "authorized_user",
        client_id: "c",
        client_secret: "s",
        refresh_token: "r",
        account: "me@x.example",
      }),
    );
    const env = { TOKPORTAL_SYNC_CONFIG_DIR: loginDir };
    const login = await resolveSheetsAuth({ env });
    expect(login.info).toMatchObject({ kind: "login", origin: "login", account: "me@x.example" });
    expect(login.principal).toBe("me@x.example");
    const adc = await resolveSheetsAuth({ env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: sa } });
    expect(adc.principal).toBe("sync@demo.iam.gserviceaccount.com");
    expect(adc.origin).toBe(
      `a service-account key ${sa} (from GOOGLE_APPLICATION_CREDENTIALS), sync@demo.iam.gserviceaccount.com`,
    );
    const token = await resolveSheetsAuth({
      env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: sa, GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.env" },
    });
    expect(token.info.kind).toBe("access_token");
    const config = await resolveSheetsAuth({
      credentials: sa,
      impersonate: "robot@demo.iam.gserviceaccount.com",
      env: { ...env, GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.env" },
    });
    expect(config.info).toMatchObject({ kind: "service_account", origin: "config" });
    expect(config.principal).toBe("robot@demo.iam.gserviceaccount.com");
    expect(config.origin).toContain("impersonating robot@demo.iam.gserviceaccount.com");
  });

  it("asks to share the sheet with the service account by name on a 403", () => {
    const calls = new SheetsCalls({
      limiter: new SheetsRateLimiter(),
      spreadsheetId: "abc",
      principal: "sync@demo.iam.gserviceaccount.com",
    });
    const err = calls.explain(
      {
        status: 403,
        code: "PERMISSION_DENIED",
        message: "The caller does not have permission",
        reason: null,
      },
      "read",
    );
    expect(err.message).toBe(
      "Google Sheets read for spreadsheet abc failed (403 PERMISSION_DENIED: The caller does not have permission); share the spreadsheet with the service account sync@demo.iam.gserviceaccount.com as an Editor.",
    );
  });
});

describe("the source with credentials against the fake server", () => {
  let fake: FakeSheets;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    fake = await startFakeSheets({ now: () => clock.now(), tokens: ["ya29.good"], apiKeys: ["good-key"] });
    fake.createSpreadsheet({
      id: "shared",
      tabs: [
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref"],
            ["v1", "b1"],
          ],
        },
      ],
      sharedWith: ["ya29.good", "good-key"],
    });
    fake.createSpreadsheet({ id: "private", tabs: [{ title: "videos" }], sharedWith: ["someone-else"] });
  });

  afterEach(async () => {
    await fake.close();
  });

  const make = (spreadsheetId: string, auth: ConstructorParameters<typeof GoogleSheetsSource>[0]["auth"]) =>
    new GoogleSheetsSource({
      spreadsheetId,
      videosTab: "videos",
      rootUrl: fake.rootUrl,
      limiter: new SheetsRateLimiter({ clock }),
      clock,
      ...(auth ? { auth } : {}),
    });

  it("sends an access token from the environment as a bearer token, and never shows it", async () => {
    const src = make("shared", { env: { GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.good" } });
    const tables = await src.read();
    expect(JSON.stringify(src)).not.toContain("ya29.good");
    expect(inspect(src, { depth: 10 })).toBe("GoogleSheetsSource(Google Sheet shared (tab videos))");
    expect(tables.videos).toHaveLength(1);
    expect(fake.log.map((e) => [e.op, e.auth, e.status])).toEqual([["values.batchGet", "bearer", 200]]);
  });

  it("turns a rejected token, key or a sheet not shared into one line without the secret", async () => {
    const cases: [string, ConstructorParameters<typeof GoogleSheetsSource>[0]["auth"], RegExp][] = [
      [
        "shared",
        { accessToken: "ya29.expired" },
        /\(401 UNAUTHENTICATED: .*\); Google refused an access token .*expires after an hour/,
      ],
      [
        "shared",
        { apiKey: "bad-key" },
        /\(400 INVALID_ARGUMENT: API key not valid.*\); Google refused an API key .*check the API key/,
      ],
      [
        "private",
        { apiKey: "good-key" },
        /\(403 PERMISSION_DENIED: The caller does not have permission\); share the spreadsheet with anyone with the link \(an API key only reads/,
      ],
    ];
    for (const [id, auth, pattern] of cases) {
      const err = await make(id, auth)
        .read()
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(SheetsSourceError);
      const text = `${(err as Error).message} ${JSON.stringify(err)}`;
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toContain("\n");
      for (const secret of ["ya29.expired", "bad-key", "good-key"]) expect(text).not.toContain(secret);
    }
    // Not retried: one request each.
    expect(fake.log).toHaveLength(3);
  });

  it("fails before any request when the credentials file is missing", async () => {
    const err = await authError(make("shared", { credentials: join(dir, "missing.json"), env: {} }).read());
    expect(err).toContain("missing.json (from credentials: in the config) does not exist");
    expect(err).not.toContain("\n");
    expect(fake.log).toEqual([]);
  });
});
