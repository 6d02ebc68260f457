/**
 * Why Google credentials could not be used, as an error of its own module: the sources, `doctor` and the
 * token-failure wording test for it without loading the Google libraries that sheets-auth.ts needs (a CSV
 * campaign never loads them; see docs/architecture.md, "Start-up").
 */
import { SourceError } from "./errors.ts";

/** Why credentials could not be used; the message says what was found and the fix. */
export type SheetsAuthCode =
  | "empty_api_key"
  | "file_missing"
  | "file_unreadable"
  | "file_not_json"
  | "file_unknown_type"
  | "file_invalid"
  | "login_unreadable"
  | "no_credentials"
  | "token_refused"
  | "impersonation_refused"
  | "scope_missing";

export class SheetsAuthError extends SourceError {
  constructor(
    readonly code: SheetsAuthCode,
    message: string,
    /** Google's own code for a refusal (`invalid_grant`, `PERMISSION_DENIED`), when it gave one. */
    readonly google: string | null = null,
  ) {
    super(message);
  }
}
