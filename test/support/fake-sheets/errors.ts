/** Errors of the fake Sheets server, in Google's shape. */

export class SheetsError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
  }

  toJSON(): unknown {
    return {
      error: {
        code: this.code,
        message: this.message,
        status: this.status,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function badRequest(message: string): SheetsError {
  return new SheetsError(400, "INVALID_ARGUMENT", message);
}
