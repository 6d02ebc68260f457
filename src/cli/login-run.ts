/**
 * What `login`, `login --status` and `logout` do. Nothing here prints a token, a code or a client secret:
 * only the account, its scopes and the file the sign-in is kept in.
 */

import { EXIT, type ExitCode } from "../exit-codes.ts";
import { SHEETS_SCOPE } from "../sources/google-credentials.ts";
import { deviceLogin, LoginError, loopbackLogin } from "../sources/google-login-flow.ts";
import { loginStatus, logout } from "../sources/google-login-status.ts";
import { saveStoredLogin } from "../sources/google-login-store.ts";
import { loadOAuthClient, OAuthClientError } from "../sources/google-oauth-client.ts";
import { type CommandIO, write } from "./io.ts";

export interface LoginFlags {
  client?: string;
  clientId?: string;
  device?: boolean;
  status?: boolean;
  json?: boolean;
}

export interface LogoutFlags {
  json?: boolean;
}

const json = (io: CommandIO, value: unknown) => write(io.stdout, `${JSON.stringify(value, null, 2)}\n`);

function scopeWords(scopes: string[]): string {
  return scopes.includes(SHEETS_SCOPE)
    ? "the spreadsheets scope"
    : "no spreadsheets scope (the sync cannot use it)";
}

async function status(flags: LoginFlags, io: CommandIO): Promise<ExitCode> {
  const s = await loginStatus(io.env);
  const ok = s.signedIn && s.check === "ok";
  if (flags.json) {
    await json(io, s);
    return ok ? EXIT.ok : EXIT.rowsFailed;
  }
  let line: string;
  if (!s.signedIn)
    line = `Not signed in with tokportal-sync login (no ${s.file}): \`tokportal-sync login --client FILE\` signs in; \`tokportal-sync doctor\` says which other Google credentials the sync would use.`;
  else if (s.check === "refused")
    line = `${s.account ?? "The saved sign-in"}: Google no longer accepts it (${s.error}, expired or revoked): run \`tokportal-sync login\` again.`;
  else
    line = `Signed in as ${s.account ?? "an account Google did not name"} with ${scopeWords(s.scopes)} (scopes: ${s.scopes.join(" ")}); kept in ${s.file}${s.check === "unchecked" ? `; Google could not be asked just now (${s.error})` : ""}.`;
  await write(io.stdout, `${line}\n`);
  return ok ? EXIT.ok : EXIT.rowsFailed;
}

export async function runLoginCommand(flags: LoginFlags, io: CommandIO): Promise<ExitCode> {
  try {
    if (flags.status) return await status(flags, io);
    const client = await loadOAuthClient({
      ...(flags.client ? { file: flags.client } : {}),
      ...(flags.clientId ? { clientId: flags.clientId } : {}),
      env: io.env,
    });
    // With --json the instructions go to stderr so stdout stays one document.
    const say = (line: string) => {
      (flags.json ? io.stderr : io.stdout).write(`${line}\n`);
    };
    const login = flags.device ? await deviceLogin(client, { say }) : await loopbackLogin(client, { say });
    const file = await saveStoredLogin(login, io.env);
    if (flags.json) {
      await json(io, { signedIn: true, account: login.account, scopes: login.scopes, file });
    } else {
      const who = login.account ?? "your Google account";
      await write(
        io.stdout,
        `Signed in as ${who} with ${scopeWords(login.scopes)}; the sign-in is kept in ${file} (readable by you only).\nShare the spreadsheet with ${who} as an Editor. \`tokportal-sync logout\` forgets it.\n`,
      );
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof LoginError || err instanceof OAuthClientError || err instanceof Error) {
      await write(
        io.stderr,
        `error: ${err instanceof LoginError || err instanceof OAuthClientError ? err.message : `sign-in failed: ${err.message}`}\n`,
      );
      return EXIT.usage;
    }
    throw err;
  }
}

export async function runLogoutCommand(flags: LogoutFlags, io: CommandIO): Promise<ExitCode> {
  const r = await logout(io.env);
  if (flags.json) {
    await json(io, r);
    return EXIT.ok;
  }
  const line = !r.removed
    ? `Not signed in (no ${r.file}); nothing to forget.`
    : `Signed out${r.account ? ` ${r.account}` : ""}: removed ${r.file}${r.revoked ? " and revoked the sign-in at Google" : "; Google could not be asked to revoke it (remove tokportal-sync at https://myaccount.google.com/permissions)"}.`;
  await write(io.stdout, `${line}\n`);
  return EXIT.ok;
}
