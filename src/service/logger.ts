/**
 * The service's log: pino JSON lines, one object per line, meant for a log collector (journald, a
 * Kubernetes node agent). Level as a word, time as ISO 8601 so a line reads on its own.
 *
 * The API key must never reach a line. Two guards: `redact` censors the fields a key could sit in if
 * someone logged a config or a request, and every finished line is scrubbed of the key's text and of
 * anything shaped like a key (`sk_` + 64 hex), whatever field or message carried it.
 */
import pino, { type DestinationStream, type Logger } from "pino";

const KEY_SHAPE = /sk_[0-9a-f]{64}/gi;

/** Field paths a key could sit in; logged objects never carry them, this is the second guard. */
export const REDACT_PATHS = [
  "apiKey",
  "api_key",
  "key",
  "*.apiKey",
  "*.api_key",
  "*.key",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  "headers.authorization",
  "*.headers.authorization",
  "env.TOKPORTAL_API_KEY",
];

export interface ServiceLoggerOptions {
  /** Where lines go (default: stdout, written synchronously so nothing is lost on exit). */
  destination?: DestinationStream;
  /** The key in use, scrubbed from every line. */
  apiKey?: string | null;
  /** A service of several campaigns: every key in use, each scrubbed from every line. */
  apiKeys?: readonly string[];
  level?: string;
}

export function scrubKey(line: string, apiKey: string | null | undefined | readonly string[]): string {
  const keys = typeof apiKey === "string" ? [apiKey] : (apiKey ?? []);
  let out = line;
  for (const key of keys) if (key.length >= 8) out = out.split(key).join("[Redacted]");
  return out.replace(KEY_SHAPE, "[Redacted]");
}

export function createServiceLogger(options: ServiceLoggerOptions = {}): Logger {
  const keys = [...(options.apiKeys ?? []), ...(options.apiKey ? [options.apiKey] : [])];
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level ?? "info",
      base: { pid: process.pid, service: "tokportal-sync" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
      hooks: { streamWrite: (line) => scrubKey(line, keys) },
    },
    destination,
  );
}
