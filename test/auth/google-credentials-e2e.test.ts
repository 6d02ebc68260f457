/**
 * Every kind of Google credentials, end to end: the compiled CLI reads the campaign sheet and writes the
 * results back through the real Sheets client and the real auth library, with Google's token, STS, IAM
 * Credentials, metadata and Sheets endpoints served locally (test/support/fake-google/). Nothing here
 * reaches the network: the proxy refuses any host it does not fake.
 */
import { describe, expect, it } from "vitest";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  CLOUD,
  gcloudAdc as gcloudFile,
  ME,
  SA,
  SHEETS,
  storedLogin as savedLogin,
  serviceAccountKey,
} from "../support/fake-google/credentials.ts";
import { fakeGoogleHarness, type RunResult } from "../support/fake-google/harness.ts";

const h = fakeGoogleHarness();
const storedLogin = (identity: string, scopes?: string[]) => savedLogin(h, identity, scopes);
const gcloudAdc = (identity: string, scopes?: string[]) => gcloudFile(h, identity, scopes);

/** What every run must respect: no token, refresh token, code, client secret or private key printed. */
function expectNoSecrets(r: RunResult, extra: string[] = []): void {
  const text = r.stdout + r.stderr;
  for (const secret of [...h.google().secrets(), ...extra]) expect(text).not.toContain(secret);
  expect(text).not.toContain("PRIVATE KEY");
  expect(text).not.toMatch(/^\s+at \S/m);
  // With gcloud's file, the library also asks the metadata server for a project id it then does not use
  // (refused here, as off Google Cloud); nothing else may try to leave.
  expect(h.proxy().refused.filter((t) => !t.startsWith("169.254.169.254"))).toEqual([]);
}

async function syncOk(env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const r = await h.run(["sync", "--yes", "--json", "-c", "tokportal-sync.json"], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(h.column("bundles", "bundle_id")[0]).toMatch(/\S/);
  expect(h.column("videos", "sync_status")[0]).toMatch(/\S/);
  return r;
}

const hosts = () => [
  ...new Set(h.proxy().log.map((e) => `${e.host}${e.path.startsWith("/v4/") ? "" : e.path}`)),
];

describe("each kind of credentials reads the sheet and writes the results back", () => {
  it("a service-account key named by GOOGLE_APPLICATION_CREDENTIALS", async () => {
    const key = serviceAccountKey(SA);
    h.google().addServiceAccount(SA, key.publicKey);
    h.campaignSheet([SA]);
    const file = h.file("sa.json", key.json);
    h.writeConfig();
    const r = await syncOk({ GOOGLE_APPLICATION_CREDENTIALS: file });
    expectNoSecrets(r, [key.json.private_key as string]);
    expect(hosts()).toEqual(["oauth2.googleapis.com/token", "sheets.googleapis.com"]);
    expect(h.google().log[0]).toMatchObject({
      grant: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      outcome: "ok",
    });
  });
});

/** Signs in with `tokportal-sync login`, acting as the browser: consent, then Google's redirect to 127.0.0.1. */
async function loginInBrowser(identity: string): Promise<RunResult> {
  h.google().addClient(CLIENT_ID, CLIENT_SECRET);
  const clientFile = h.file("client_secret.json", {
    installed: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: ["http://localhost"] },
  });
  let visited = false;
  return h.run(["login", "--client", clientFile], {}, (text) => {
    const url = /https:\/\/accounts\.google\.com\/\S+/.exec(text)?.[0];
    if (!url || visited) return;
    visited = true;
    const { redirect, code, state } = h.google().consent(url, identity);
    void fetch(`${redirect}/?code=${encodeURIComponent(code)}&state=${state}`);
  });
}

describe("the ways without a service-account key", () => {
  it("gcloud's application-default credentials (authorized_user), found by the library", async () => {
    gcloudAdc(ME);
    h.campaignSheet([ME]);
    h.writeConfig();
    const r = await syncOk();
    expectNoSecrets(r);
    expect(hosts()).toEqual(["oauth2.googleapis.com/token", "sheets.googleapis.com"]);
  });

  it("login (browser, PKCE, 127.0.0.1), then sync with the stored sign-in, then logout", async () => {
    const login = await loginInBrowser(ME);
    expectNoSecrets(login);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${ME} with the spreadsheets scope`);
    const { statSync, readFileSync } = await import("node:fs");
    const saved = `${h.dir()}/login/google-login.json`;
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(saved, "utf8")) as { refresh_token: string; scopes: string[] };
    expect(stored.scopes).toEqual([SHEETS, "openid", "email"]);
    expect(h.google().refreshGrant(stored.refresh_token)).toMatchObject({ identity: ME, revoked: false });

    const status = await h.run(["login", "--status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ signedIn: true, account: ME, check: "ok" });
    expectNoSecrets(status);

    h.campaignSheet([ME]);
    h.writeConfig();
    expectNoSecrets(await syncOk());

    const out = await h.run(["logout"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("revoked the sign-in at Google");
    expect(h.google().refreshGrant(stored.refresh_token)?.revoked).toBe(true);
    expect(statSync(saved, { throwIfNoEntry: false })).toBeUndefined();
    const after = await h.run(["login", "--status"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("Not signed in");
  });

  it("login --device: the code entered on another device, the token endpoint polled", async () => {
    h.google().addClient(CLIENT_ID, CLIENT_SECRET);
    let approved = false;
    const r = await h.run(
      ["login", "--device", "--client-id", CLIENT_ID],
      { TOKPORTAL_SYNC_OAUTH_CLIENT_SECRET: CLIENT_SECRET },
      (text) => {
        if (!approved && text.includes("FAKE-CODE")) {
          approved = true;
          h.google().approveDevice(ME);
        }
      },
    );
    expectNoSecrets(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("https://www.google.com/device");
    expect(r.stdout).toContain(`Signed in as ${ME}`);
    expect(h.google().log.map((e) => e.endpoint)).toContain("device/code");
  });

  it("workload identity federation (external_account) through STS, impersonating a service account", async () => {
    const subject = h.file("oidc-token.txt", "eyJfederated.subject.token");
    h.google().federated.set("eyJfederated.subject.token", "principal://iam.googleapis.com/pool/subject/ci");
    h.google().grantTokenCreator("principal://iam.googleapis.com/pool/subject/ci", SA);
    h.campaignSheet([SA]);
    const file = h.file("wif.json", {
      type: "external_account",
      audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/ci",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      token_url: "https://sts.googleapis.com/v1/token",
      service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
      credential_source: { file: subject },
    });
    h.writeConfig({ credentials: "wif.json" });
    expect(file).toContain("wif.json");
    const r = await syncOk();
    expectNoSecrets(r, ["eyJfederated.subject.token"]);
    expect(hosts()).toEqual([
      "sts.googleapis.com/v1/token",
      `iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
      "sheets.googleapis.com",
    ]);
  });

  it("an impersonated_service_account file (gcloud --impersonate-service-account)", async () => {
    h.google().addClient(CLIENT_ID, CLIENT_SECRET);
    h.google().grantTokenCreator(ME, SA);
    h.campaignSheet([SA]);
    h.file("imp.json", {
      type: "impersonated_service_account",
      service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${SA}:generateAccessToken`,
      delegates: [],
      source_credentials: {
        type: "authorized_user",
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: h.google().issueRefreshToken(CLIENT_ID, ME, [CLOUD]),
      },
    });
    h.writeConfig();
    expectNoSecrets(await syncOk({ GOOGLE_APPLICATION_CREDENTIALS: `${h.dir()}/imp.json` }));
    expect(h.google().log.map((e) => `${e.endpoint} ${e.outcome}`)).toContain("generateAccessToken ok");
  });

  it("source.impersonate: gcloud's user credentials mint tokens for the service account", async () => {
    gcloudAdc(ME);
    h.google().grantTokenCreator(ME, SA);
    h.campaignSheet([SA]);
    h.writeConfig({ impersonate: SA });
    expectNoSecrets(await syncOk());
    expect(h.google().log.map((e) => `${e.endpoint} ${e.outcome}`)).toEqual([
      "token ok",
      "generateAccessToken ok",
    ]);
  });

  it("the metadata server of a Google Cloud runtime (GCE_METADATA_HOST), no file at all", async () => {
    h.campaignSheet([h.google().metadataAccount]);
    h.writeConfig();
    const r = await syncOk({ GCE_METADATA_HOST: h.metadataHost(), METADATA_SERVER_DETECTION: undefined });
    expectNoSecrets(r);
    expect(h.google().log.map((e) => e.endpoint)).toContain(
      "metadata/instance/service-accounts/default/token",
    );
    expect(hosts()).toEqual(["sheets.googleapis.com"]);
  });
});

describe("what each refusal says, and that nothing half-written is left", () => {
  it("a sign-in revoked mid-run stops the write-back before it writes; the next run writes everything", async () => {
    storedLogin(ME);
    h.campaignSheet([ME]);
    h.writeConfig();
    // Tokens live a minute: the library renews one before every request; the second renewal is refused.
    h.google().accessTokenTtl = 60;
    h.google().refreshLimit = 1;
    const r = await h.run(["sync", "--yes", "--json", "-c", "tokportal-sync.json"]);
    expectNoSecrets(r);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("invalid_grant");
    expect(r.stderr).toContain("run `tokportal-sync login` again");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(h.sheets().requests("values.batchUpdate")).toEqual([]);
    expect(h.column("bundles", "bundle_id")).toEqual([""]);

    h.google().refreshLimit = null;
    expectNoSecrets(await syncOk());
  });

  it("a sheet not shared with the identity names the e-mail to share it with", async () => {
    gcloudAdc(ME);
    h.google().grantTokenCreator(ME, SA);
    h.campaignSheet([ME]);
    h.writeConfig({ impersonate: SA });
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"]);
    expectNoSecrets(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`403 PERMISSION_DENIED`);
    expect(r.stderr).toContain(`share the spreadsheet with the service account ${SA} as an Editor`);
    expect(r.stderr).toContain(`impersonating ${SA}`);
  });

  it("impersonation without the Token Creator role names the role and the service account", async () => {
    gcloudAdc(ME);
    h.campaignSheet([SA]);
    h.writeConfig({ impersonate: SA });
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"]);
    expectNoSecrets(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("iam.serviceAccounts.getAccessToken");
    expect(r.stderr).toContain(
      `Service Account Token Creator role (roles/iam.serviceAccountTokenCreator) on ${SA}`,
    );
  });

  it("a token without the spreadsheets scope: Google's 403, one line naming the way out, nothing written", async () => {
    storedLogin(ME, ["openid", "email"]);
    h.campaignSheet([ME]);
    h.writeConfig();
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"]);
    expectNoSecrets(r);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("run `tokportal-sync login` again");
    // The gate in front of the fake Sheets answered: the sheet never saw a request.
    expect(h.sheets().requests()).toEqual([]);
    // Its code, as the doctor reports it (test/doctor/doctor-google-e2e.test.ts has the other kinds).
    const d = await h.run(["doctor", "--json", "-c", "tokportal-sync.json"]);
    const identity = (
      JSON.parse(d.stdout) as { checks: { code: string; findings: unknown[] }[] }
    ).checks.find((k) => k.code === "google.identity");
    expect(identity?.findings).toEqual([
      { code: "google_scope_missing", subject: "ACCESS_TOKEN_SCOPE_INSUFFICIENT" },
    ]);
  });

  it("no credentials anywhere: every place looked at, and the way out", async () => {
    h.campaignSheet([ME]);
    h.writeConfig();
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No Google credentials found");
    expect(r.stderr).toContain("run `tokportal-sync login`");
    expect(h.sheets().requests()).toEqual([]);
  });

  it("an OAuth client file given as credentials says to use it with login", async () => {
    h.campaignSheet([ME]);
    h.file("client.json", { installed: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET } });
    h.writeConfig({ credentials: "client.json" });
    const r = await h.run(["sync", "--yes", "-c", "tokportal-sync.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("give it to `tokportal-sync login --client FILE`");
    expect(r.stderr).not.toContain(CLIENT_SECRET);
  });
});
