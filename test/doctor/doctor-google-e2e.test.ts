/**
 * `doctor` with a Google Sheets config, end to end: the compiled CLI, the real Sheets client and auth
 * library, Google's endpoints faked behind a proxy (test/support/fake-google/), TokPortal's sandbox. The
 * Google checks say which credentials were found (kind, origin, e-mail) and whether the spreadsheet opens
 * with them; a failure is a failing check (exit 1) whose code names what is wrong. Asserted by code.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { DoctorReport, ReportCheck } from "../../src/cli/doctor-render.ts";
import {
  CLOUD,
  gcloudAdc,
  ME,
  SA,
  serviceAccountKey,
  storedLogin,
} from "../support/fake-google/credentials.ts";
import { fakeGoogleHarness, type RunResult } from "../support/fake-google/harness.ts";

const h = fakeGoogleHarness();

function expectNoSecrets(r: RunResult, extra: string[] = []): void {
  const text = r.stdout + r.stderr;
  for (const secret of [...h.google().secrets(), ...extra]) expect(text).not.toContain(secret);
  expect(text).not.toContain("PRIVATE KEY");
  expect(text).not.toMatch(/^\s+at \S/m);
}

async function doctor(
  env: Record<string, string | undefined> = {},
): Promise<{ r: RunResult; report: DoctorReport }> {
  const r = await h.run(["doctor", "--json", "-c", "tokportal-sync.json"], env);
  expectNoSecrets(r);
  expect(r.stderr).toBe("");
  return { r, report: JSON.parse(r.stdout) as DoctorReport };
}

/** The Google checks as `code outcome finding:subject`. */
function google(report: DoctorReport): string[] {
  return report.checks
    .filter((k) => k.code.startsWith("google."))
    .map((k) =>
      [k.code, k.outcome, ...k.findings.map((f) => (f.subject ? `${f.code}:${f.subject}` : f.code))].join(
        " ",
      ),
    );
}

function check(report: DoctorReport, code: string): ReportCheck {
  const k = report.checks.find((c) => c.code === code);
  if (!k) throw new Error(`no ${code}`);
  return k;
}

function withKey(): { file: string; secret: string } {
  const key = serviceAccountKey(SA);
  h.google().addServiceAccount(SA, key.publicKey);
  return { file: h.file("sa.json", key.json), secret: key.json.private_key as string };
}

describe("doctor with a Google Sheets config", () => {
  it("a service-account key: found, its e-mail, the sheet's title and tabs in one read; exit 0", async () => {
    const key = withKey();
    h.campaignSheet([SA]);
    h.writeConfig();
    const { r, report } = await doctor({ GOOGLE_APPLICATION_CREDENTIALS: key.file });
    expect(r.code).toBe(0);
    expect(google(report)).toEqual(["google.credentials ok", "google.identity ok", "google.spreadsheet ok"]);
    expect(check(report, "google.credentials").google).toMatchObject({
      kind: "service_account",
      origin: "GOOGLE_APPLICATION_CREDENTIALS",
      file: key.file,
      account: SA,
      impersonate: null,
    });
    expect(check(report, "google.spreadsheet").google).toMatchObject({ tabs: ["bundles", "videos"] });
    // One read of the sheet, nothing written.
    expect(
      h
        .sheets()
        .requests()
        .map((e) => e.op),
    ).toEqual(["spreadsheets.get"]);
    // TokPortal's checks follow, as without a sheet.
    expect(report.checks.map((k) => k.code)).toContain("write.create_bundle");

    const table = await h.run(["doctor", "-c", "tokportal-sync.json"], {
      GOOGLE_APPLICATION_CREDENTIALS: key.file,
    });
    expectNoSecrets(table, [key.secret]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Sheet: Google Sheet campaign-s… \(tabs bundles, videos\)$/m);
    expect(table.stdout).toMatch(/^ {2}✓ Google identity +sync@demo\.iam\.gserviceaccount\.com$/m);
  });

  it("a sheet not shared with the identity: a failing check naming the e-mail to share with; exit 1", async () => {
    const key = withKey();
    h.campaignSheet([ME]);
    h.writeConfig();
    const { r, report } = await doctor({ GOOGLE_APPLICATION_CREDENTIALS: key.file });
    expect(r.code).toBe(1);
    expect(report.exit_code).toBe(1);
    expect(google(report)).toEqual([
      "google.credentials ok",
      "google.identity ok",
      "google.spreadsheet failed google_not_shared",
    ]);
    expect(check(report, "google.spreadsheet").action).toContain(SA);

    const table = await h.run(["doctor", "-c", "tokportal-sync.json"], {
      GOOGLE_APPLICATION_CREDENTIALS: key.file,
    });
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(`Fix: share the spreadsheet with the service account ${SA} as an Editor.`);
  });

  it("no credentials anywhere: the credentials check fails, nothing is sent to Sheets; exit 1", async () => {
    h.campaignSheet([ME]);
    h.writeConfig();
    const { r, report } = await doctor();
    expect(r.code).toBe(1);
    expect(google(report)).toEqual([
      "google.credentials failed google_no_credentials",
      "google.identity not_checked google_not_reached",
      "google.spreadsheet not_checked google_not_reached",
    ]);
    expect(check(report, "google.credentials").action).toContain("tokportal-sync login");
    expect(h.sheets().requests()).toEqual([]);
  });

  it("a revoked sign-in: Google's invalid_grant, and `login` again; exit 1", async () => {
    storedLogin(h, ME);
    h.google().refreshLimit = 0;
    h.campaignSheet([ME]);
    h.writeConfig();
    const { r, report } = await doctor();
    expect(r.code).toBe(1);
    expect(google(report)).toEqual([
      "google.credentials ok",
      "google.identity failed google_token_refused:invalid_grant",
      "google.spreadsheet not_checked google_not_reached",
    ]);
    expect(check(report, "google.credentials").google).toMatchObject({
      kind: "login",
      origin: "login",
      account: ME,
    });
    expect(check(report, "google.identity").action).toContain("tokportal-sync login");
    expect(h.sheets().requests()).toEqual([]);
  });

  it("impersonation: the user, the service account it acts as, and the sheet shared with the latter", async () => {
    gcloudAdc(h, ME);
    h.google().grantTokenCreator(ME, SA);
    h.campaignSheet([SA]);
    h.writeConfig({ impersonate: SA });
    const { r, report } = await doctor();
    expect(r.code).toBe(0);
    expect(check(report, "google.credentials").google).toMatchObject({
      kind: "authorized_user",
      origin: "gcloud",
      impersonate: SA,
    });
    expect(check(report, "google.identity").found).toContain(`impersonating ${SA}`);
  });

  it("impersonation without the Token Creator role: the role, and on which service account", async () => {
    gcloudAdc(h, ME);
    h.campaignSheet([SA]);
    h.writeConfig({ impersonate: SA });
    const { r, report } = await doctor();
    expect(r.code).toBe(1);
    expect(google(report)).toEqual([
      "google.credentials ok",
      "google.identity failed google_impersonation_refused:PERMISSION_DENIED",
      "google.spreadsheet not_checked google_not_reached",
    ]);
    expect(check(report, "google.identity").action).toContain(
      `roles/iam.serviceAccountTokenCreator) on ${SA}`,
    );
  });

  it("the runtime's service account (metadata server): kind metadata, its e-mail; a missing tab fails", async () => {
    const runtime = h.google().metadataAccount;
    h.campaignSheet([runtime]);
    h.writeConfig({ videos_tab: "Videos" });
    const { r, report } = await doctor({
      GCE_METADATA_HOST: h.metadataHost(),
      METADATA_SERVER_DETECTION: undefined,
    });
    expect(r.code).toBe(1);
    expect(check(report, "google.credentials").google).toMatchObject({
      kind: "metadata",
      origin: "metadata",
      account: runtime,
    });
    expect(google(report)).toEqual([
      "google.credentials ok",
      "google.identity ok",
      "google.spreadsheet failed google_tab_missing:Videos",
    ]);
    expect(check(report, "google.spreadsheet").action).toContain("tokportal-sync init");
  });

  it("--save keeps the codes and the kind of credentials, not the file, the e-mails or the title", async () => {
    const key = withKey();
    h.campaignSheet([ME]);
    h.writeConfig();
    const r = await h.run(["doctor", "--save", "report.json", "-c", "tokportal-sync.json"], {
      GOOGLE_APPLICATION_CREDENTIALS: key.file,
    });
    expect(r.code).toBe(1);
    const text = readFileSync(path.join(h.dir(), "report.json"), "utf8");
    expect(text).not.toContain(SA);
    expect(text).not.toContain(key.file);
    const saved = JSON.parse(text) as DoctorReport;
    expect(google(saved)).toContain("google.spreadsheet failed google_not_shared");
    expect(check(saved, "google.credentials").google).toMatchObject({ kind: "service_account" });
  });
});

describe("credentials without the spreadsheets scope (Google: 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT)", () => {
  it("a sign-in whose consent left out the spreadsheets scope: `login` again", async () => {
    storedLogin(h, ME, ["openid", "email"]);
    h.campaignSheet([ME]);
    h.writeConfig();
    const { r, report } = await doctor();
    expect(r.code).toBe(1);
    expect(google(report)).toEqual([
      "google.credentials ok",
      "google.identity failed google_scope_missing:ACCESS_TOKEN_SCOPE_INSUFFICIENT",
      "google.spreadsheet not_checked google_not_reached",
    ]);
    expect(check(report, "google.identity").status).toBe(403);
    expect(check(report, "google.identity").action).toContain("tokportal-sync login");
  });

  it("gcloud's default scopes (no spreadsheets): the gcloud command with --scopes", async () => {
    gcloudAdc(h, ME, [CLOUD]);
    h.campaignSheet([ME]);
    h.writeConfig();
    const { r, report } = await doctor();
    expect(r.code).toBe(1);
    expect(google(report)).toContain(
      "google.identity failed google_scope_missing:ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    );
    expect(check(report, "google.identity").action).toContain(
      "gcloud auth application-default login --scopes=https://www.googleapis.com/auth/spreadsheets,",
    );
  });
});
