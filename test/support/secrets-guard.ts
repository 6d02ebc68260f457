/**
 * Setup file (vitest.config.ts `setupFiles`): fails any test during which an API key reached the console
 * or the worker's stdout/stderr. A setup file rather than a reporter because .ci/run passes `--reporter`
 * flags, which replace the reporters of the config; setup files are kept.
 *
 * Keys are the emulator's shape (`sk_` + 64 hex, src/emulator/state.ts) and the older `tok_live_` one. The
 * public sandbox key (`sk_000…0`) is printed on purpose (README, emulator banner) and is not a secret.
 * What leaked is reported masked, so the failure message does not print it again.
 */
import { format } from "node:util";
import { afterAll, afterEach } from "vitest";

const KEY = /\b(?:sk_[0-9a-f]{64}|tok_live_[A-Za-z0-9]{16,})\b/g;
const PUBLIC_SANDBOX_KEY = `sk_${"0".repeat(64)}`;

export interface Leak {
  where: string;
  key: string;
}

/** Every non-public API key in the text. */
export function findApiKeys(text: string): string[] {
  return [...text.matchAll(KEY)].map((m) => m[0]).filter((k) => k !== PUBLIC_SANDBOX_KEY);
}

/** Enough of a key to tell which one it was, not enough to use it. */
export function maskKey(key: string): string {
  return `${key.slice(0, 6)}…${key.slice(-4)}`;
}

interface GuardState {
  leaks: Leak[];
  installed: boolean;
}
// On globalThis: the wrappers are installed once per worker, and every test file's copy of this module
// (each file evaluates its setup files again) must read the leaks the one installed set of wrappers saw.
const STATE = Symbol.for("tokportal-sync.test.secrets-guard");
const state: GuardState = ((globalThis as Record<symbol, unknown>)[STATE] as GuardState | undefined) ?? {
  leaks: [],
  installed: false,
};
(globalThis as Record<symbol, unknown>)[STATE] = state;

/** Records the keys in one chunk of output (what the wrappers call on every write). */
export function inspectOutput(where: string, chunk: unknown): void {
  const text =
    typeof chunk === "string"
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk).toString("utf8")
        : "";
  for (const key of findApiKeys(text)) state.leaks.push({ where, key });
}

/** The leaks seen since the last call (and forgets them). */
export function takeLeaks(): Leak[] {
  return state.leaks.splice(0);
}

const WRAPPER = Symbol.for("tokportal-sync.test.secrets-guard.wrapper");

/** Whether the console and both streams of this worker go through the guard. */
export function guardInstalled(): boolean {
  const wrapped = (f: unknown) => !!(f as Record<symbol, unknown>)[WRAPPER];
  return (
    wrapped(console.log) &&
    wrapped(console.error) &&
    wrapped(process.stdout.write) &&
    wrapped(process.stderr.write)
  );
}

const mark = <F>(f: F): F => Object.assign(f as object, { [WRAPPER]: true }) as F;

if (!state.installed) {
  state.installed = true;
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = mark((chunk: unknown, ...rest: unknown[]) => {
      inspectOutput(name, chunk);
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    const original = console[method];
    console[method] = mark((...args: unknown[]) => {
      inspectOutput(`console.${method}`, format(...args));
      original.apply(console, args);
    });
  }
}

function failOnLeaks(during: string): void {
  const leaks = takeLeaks();
  if (leaks.length === 0) return;
  const list = leaks.map((l) => `${maskKey(l.key)} via ${l.where}`).join(", ");
  throw new Error(`an API key was printed during ${during}: ${list}`);
}

afterEach(() => failOnLeaks("this test"));
// Output of beforeAll/afterAll hooks belongs to no test: the file's last hook catches it.
afterAll(() => failOnLeaks("this file's hooks"));
