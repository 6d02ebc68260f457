/**
 * `tokportal-sync login` and `logout`: a Google sign-in kept in the user's own config directory, for
 * people who cannot (or would rather not) use a service-account key. The commands' definitions; the work
 * is in login-run.ts, loaded when a command runs.
 */
import { Command } from "commander";
import type { LoginFlags, LogoutFlags } from "./login-run.ts";

const LOGIN_EXAMPLES = `
Examples:
  $ tokportal-sync login --client client_secret_123.json   # prints an address: open it in a browser, allow access
  $ tokportal-sync login --client client.json --device     # a machine without a browser: enter a code elsewhere
  $ tokportal-sync login --status                          # who is signed in, with which scopes
  $ tokportal-sync logout

The OAuth client is one you create once in your Google Cloud project (type Desktop app; TVs and Limited
Input devices for --device), see docs/google-sheets.md. Instead of --client: --client-id or
TOKPORTAL_SYNC_OAUTH_CLIENT_ID, with the secret in TOKPORTAL_SYNC_OAUTH_CLIENT_SECRET.
The sign-in (a refresh token for the spreadsheets scope) is saved, readable by you only, in
$TOKPORTAL_SYNC_CONFIG_DIR, else $XDG_CONFIG_HOME/tokportal-sync, else ~/.config/tokportal-sync; never in
the project. The sync uses it when neither credentials: in the config nor GOOGLE_APPLICATION_CREDENTIALS
is set. Share the spreadsheet with the account you sign in with.

Exit codes:
  0  signed in (--status: signed in, and Google accepts the sign-in)
  1  --status: not signed in, or Google no longer accepts the sign-in
  2  usage error, no OAuth client, or Google refused the sign-in`;

export function loginCommand(): Command {
  return new Command("login")
    .description("Sign in to Google for the spreadsheet (OAuth, PKCE, the spreadsheets scope only).")
    .option("--client <file>", "the OAuth client JSON file downloaded from the Google Cloud console")
    .option("--client-id <id>", "the OAuth client id (its secret in TOKPORTAL_SYNC_OAUTH_CLIENT_SECRET)")
    .option("--device", "sign in with a code entered on another device (no browser on this machine)")
    .option("--status", "say who is signed in and with which scopes, and whether Google still accepts it")
    .option("--json", "print the result as one JSON document on stdout")
    .addHelpText("after", LOGIN_EXAMPLES)
    .action(async (flags: LoginFlags) => {
      const { runLoginCommand } = await import("./login-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runLoginCommand(flags, processIO());
    });
}

export function logoutCommand(): Command {
  return new Command("logout")
    .description("Forget the Google sign-in of `tokportal-sync login` (revoked at Google when it answers).")
    .option("--json", "print the result as one JSON document on stdout")
    .action(async (flags: LogoutFlags) => {
      const { runLogoutCommand } = await import("./login-run.ts");
      const { processIO } = await import("./io.ts");
      process.exitCode = await runLogoutCommand(flags, processIO());
    });
}
