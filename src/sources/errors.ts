/**
 * One base class for every error a source throws on purpose (bad config, unreadable file, locked file,
 * refused credentials, a failed Sheets request): its message is one line meant for the user, so the CLI can
 * print `err.message` alone for these and keep stack traces for everything else (bugs).
 */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** True for errors whose message is written for the user (see `SourceError`). */
export function isSourceError(err: unknown): err is SourceError {
  return err instanceof SourceError;
}
