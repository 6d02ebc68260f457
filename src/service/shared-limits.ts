/**
 * The limits campaigns of one service share. TokPortal keeps one token bucket per API key
 * (docs/tokportal-api.md §4): campaigns on the same key must wait at one rate gate, or together they
 * would spend the bucket several times over and collect 429s. Google counts its per-minute quota per
 * service account (docs/google-sheets.md): campaigns read and written by the same account share one
 * limiter. Campaigns on different keys or accounts share nothing and run side by side.
 *
 * Both registries are keyed by a hash of the identity, never the key itself: these maps may be logged or
 * inspected, and the key must appear nowhere.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { RateGate, type RateGateOptions } from "../api/rate-gate.ts";
import type { LoadedConfig } from "../config/load.ts";
import { SheetsRateLimiter } from "../sources/sheets-limiter.ts";

/** A short, stable, one-way name for a secret or an identity (12 hex characters of its SHA-256). */
export function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}

/** Who a campaign calls TokPortal as: its key's fingerprint, and where (the sandbox has its own bucket). */
export function keyIdentity(loaded: LoadedConfig): string | null {
  // An in-process sandbox is started per campaign: its bucket is its own.
  if (loaded.baseUrl === "sandbox" || !loaded.apiKey) return null;
  return `${fingerprint(loaded.apiKey)}@${loaded.baseUrl}`;
}

function clientEmail(file: string): string | null {
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as { client_email?: unknown };
    return typeof json.client_email === "string" ? json.client_email : null;
  } catch {
    return null;
  }
}

/**
 * Who a Google Sheets campaign reads and writes as: the service account's e-mail when its key file says,
 * else the file, else the environment's token or credentials. Null for a CSV campaign.
 */
export function sheetsIdentity(loaded: LoadedConfig, env: Record<string, string | undefined>): string | null {
  const s = loaded.source;
  if (s.type !== "google_sheets") return null;
  const file = s.credentials
    ? path.resolve(loaded.baseDir, s.credentials)
    : env.GOOGLE_OAUTH_ACCESS_TOKEN
      ? null
      : env.GOOGLE_APPLICATION_CREDENTIALS
        ? path.resolve(env.GOOGLE_APPLICATION_CREDENTIALS)
        : null;
  if (file) return fingerprint(`account:${clientEmail(file) ?? `file:${file}`}`);
  if (env.GOOGLE_OAUTH_ACCESS_TOKEN) return fingerprint(`token:${env.GOOGLE_OAUTH_ACCESS_TOKEN}`);
  return fingerprint("default");
}

export interface SharedLimitsOptions {
  /** Options of every rate gate made (tests give the sandbox's bucket). */
  gate?: Omit<RateGateOptions, "maxWaitMs">;
}

export class SharedLimits {
  private readonly gates = new Map<string, RateGate>();
  private readonly sheets = new Map<string, SheetsRateLimiter>();

  constructor(private readonly options: SharedLimitsOptions = {}) {}

  /**
   * The gate of a key identity. Its ceiling is the first asker's (`maxWaitMs`): campaigns sharing a key
   * should agree on `tokportal.max_wait_seconds`, and the service passes the smallest of theirs.
   */
  gate(identity: string, maxWaitMs: number): RateGate {
    let gate = this.gates.get(identity);
    if (!gate) {
      gate = new RateGate({ ...this.options.gate, maxWaitMs });
      this.gates.set(identity, gate);
    }
    return gate;
  }

  sheetsLimiter(identity: string): SheetsRateLimiter {
    let limiter = this.sheets.get(identity);
    if (!limiter) {
      limiter = new SheetsRateLimiter();
      this.sheets.set(identity, limiter);
    }
    return limiter;
  }

  /** How many gates and limiters are in use (for the start-up log). */
  counts(): { keys: number; sheetsAccounts: number } {
    return { keys: this.gates.size, sheetsAccounts: this.sheets.size };
  }
}
