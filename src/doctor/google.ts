/**
 * The doctor's Google checks, for a config whose source is a Google Sheet: which credentials were found
 * (kind, where), whom they stand for (the e-mail, the impersonated service account) and whether the
 * spreadsheet opens with them. One request to Sheets (`probe()`: the title and tab names) through the
 * source's own credentials and errors, so the doctor sees what a sync would see; plus the token request
 * the auth library makes for it. Never a token: only kinds, origins, file paths and e-mails.
 */
import type { CredentialsInfo } from "../sources/google-credentials.ts";
import { SheetsAuthError } from "../sources/sheets-auth.ts";
import { SheetsSourceError } from "../sources/sheets-calls.ts";
import type { CheckResult, Finding, GoogleFacts } from "./checks.ts";

/** What the doctor needs of a Google Sheets source (GoogleSheetsSource). */
export interface SheetProbe {
  probe(): Promise<{ title: string; tabs: string[]; wanted: string[] }>;
  readonly credentials: CredentialsInfo | null;
}

type Result = Omit<CheckResult, "code">;

const ok = (google: GoogleFacts): Result => ({ outcome: "ok", findings: [], google });
const failed = (finding: Finding, google: GoogleFacts, status?: number | null): Result => ({
  outcome: "failed",
  findings: [finding],
  google,
  ...(status !== undefined ? { status } : {}),
});
const notReached = (google: GoogleFacts): Result => ({
  outcome: "not_checked",
  findings: [{ code: "google_not_reached" }],
  google,
});

function results(credentials: Result, identity: Result, spreadsheet: Result): CheckResult[] {
  return [
    { code: "google.credentials", ...credentials },
    { code: "google.identity", ...identity },
    { code: "google.spreadsheet", ...spreadsheet },
  ];
}

/** Credentials the source could not even build: none found, or a file it cannot use. */
function unusable(err: SheetsAuthError): CheckResult[] {
  const facts: GoogleFacts = { credentials: null };
  const finding: Finding =
    err.code === "no_credentials"
      ? { code: "google_no_credentials" }
      : { code: "google_credentials_unusable", subject: err.code };
  return results(
    failed(finding, { credentials: null, detail: err.message }),
    notReached(facts),
    notReached(facts),
  );
}

/** Google refused to give a token for them: expired, revoked, impersonation denied, scope refused. */
function tokenRefused(err: SheetsAuthError, facts: GoogleFacts): CheckResult[] {
  const code =
    err.code === "impersonation_refused"
      ? "google_impersonation_refused"
      : err.code === "scope_missing"
        ? "google_scope_missing"
        : "google_token_refused";
  const finding: Finding = err.google ? { code, subject: err.google } : { code };
  return results(ok(facts), failed(finding, facts), notReached(facts));
}

/** The token came, the read was refused or failed: the status and Google's reason say why. */
function readRefused(err: SheetsSourceError, facts: GoogleFacts): CheckResult[] {
  const status = err.status;
  if (status === 403 && /SCOPE_INSUFFICIENT/.test(err.reason ?? ""))
    return results(
      ok(facts),
      failed({ code: "google_scope_missing", subject: err.reason ?? undefined }, facts, status),
      notReached(facts),
    );
  if (status === 401)
    return results(
      ok(facts),
      failed({ code: "google_token_refused", subject: err.reason ?? "401" }, facts, status),
      notReached(facts),
    );
  const finding: Finding =
    status === 403
      ? { code: "google_not_shared" }
      : status === 404
        ? { code: "google_not_found" }
        : { code: "google_unanswered", subject: err.reason ?? String(status ?? "no answer") };
  return results(ok(facts), ok(facts), failed(finding, facts, status));
}

export async function runGoogleChecks(source: SheetProbe): Promise<CheckResult[]> {
  let sheet: Awaited<ReturnType<SheetProbe["probe"]>>;
  try {
    sheet = await source.probe();
  } catch (err) {
    const facts: GoogleFacts = { credentials: source.credentials };
    if (err instanceof SheetsAuthError)
      return source.credentials === null ? unusable(err) : tokenRefused(err, facts);
    if (err instanceof SheetsSourceError && source.credentials !== null) return readRefused(err, facts);
    throw err;
  }
  const facts: GoogleFacts = { credentials: source.credentials, title: sheet.title, tabs: sheet.tabs };
  const missing = sheet.wanted.filter((t) => !sheet.tabs.includes(t));
  const spreadsheet: Result =
    missing.length === 0
      ? ok(facts)
      : {
          outcome: "failed",
          findings: missing.map((tab) => ({ code: "google_tab_missing" as const, subject: tab })),
          google: facts,
        };
  return results(ok(facts), ok(facts), spreadsheet);
}
