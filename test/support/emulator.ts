/**
 * Helpers for tests that talk to the emulator over real HTTP on 127.0.0.1.
 *
 *   const emu = await startTestEmulator();           // port 0, fixed clock, quiet, seed 1
 *   afterAll(() => emu.stop());
 *   const res = await emu.api("POST", "/bundles", { body: {...} });   // default key unless `key` given
 *   expect(res.status).toBe(201); res.body.data.id; res.headers.get("x-ratelimit-remaining")
 *   const other = await emu.createKey({ credits: 100 });               // a second workspace
 *   await emu.api("GET", `/bundles/${id}`, { key: other.apiKey });
 *   emu.requestLog();                                                   // what the emulator saw
 *
 * Defaults for determinism: `now` = 2026-09-01T12:00:00Z, `speed` 0 (the simulated clock stands still
 * until `advance()`), `seed` 1, no stderr. Override any of them through the options.
 *
 * Lifecycles, so test files do not each rewrite their hooks:
 *   const emu = sharedEmulator();                  // one per file, reset before each test
 *   const emulators = emulatorPerTest({ seed: 7 }); // fresh ones inside tests, stopped after each test
 *   const emu = await emulators.start({ faults });
 */
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import {
  type EmulatorHandle,
  type EmulatorOptions,
  type RulesPatch,
  startEmulator,
} from "../../src/emulator/index.ts";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";

export const TEST_NOW = "2026-09-01T12:00:00.000Z";

// biome-ignore lint/suspicious/noExplicitAny: tests read answer bodies ad hoc; their assertions check the values
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, the raw text otherwise (null for an empty body). */
  body: T;
  text: string;
}

export interface ApiCallOptions {
  /** A JSON value (sent as JSON), a FormData (multipart), or a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The API key to send; `null` sends none. Default: the emulator's default key. */
  key?: string | null;
  /** Query parameters; arrays become repeated keys. */
  query?: Record<string, string | number | boolean | Array<string | number>>;
}

export interface TestEmulator extends EmulatorHandle {
  /** A call to `/api/ext<path>`. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answer bodies ad hoc; their assertions check the values
  api<T = any>(method: string, path: string, opts?: ApiCallOptions): Promise<ApiResponse<T>>;
  /** A call to `/__emulator<path>` (admin; no key). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answer bodies ad hoc; their assertions check the values
  admin<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  requestLog(since?: number): RequestLogEntry[];
}

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<TestEmulator> {
  const handle = await startEmulator({ port: 0, now: TEST_NOW, speed: 0, seed: 1, quiet: true, ...opts });
  const api = async (method: string, path: string, o: ApiCallOptions = {}) => {
    const url = new URL(`${handle.url}${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
    }
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const key = o.key === undefined ? handle.apiKey : o.key;
    if (key !== null) headers["x-api-key"] = key;
    return call(method, url.href, o.body, headers);
  };
  return {
    ...handle,
    api,
    admin: (method, path, body) => call(method, `${handle.origin}/__emulator${path}`, body, {}),
    requestLog: (since) => handle.requests(since),
  };
}

async function call(
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<ApiResponse> {
  let payload: string | FormData | undefined;
  if (body instanceof FormData || typeof body === "string") payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  const isJson = (res.headers.get("content-type") ?? "").includes("json");
  return {
    status: res.status,
    headers: res.headers,
    body: isJson && text ? JSON.parse(text) : text || null,
    text,
  };
}

/**
 * One emulator for the whole test file, reset before each test (and given `rules` again, when set). The
 * returned object forwards to it, so the file can hold it in a top-level const.
 */
export function sharedEmulator(opts: EmulatorOptions = {}, rules?: RulesPatch): TestEmulator {
  let current: TestEmulator | undefined;
  beforeAll(async () => {
    current = await startTestEmulator(opts);
  });
  afterAll(() => current?.stop());
  beforeEach(() => {
    current?.reset();
    if (rules) current?.setRules(rules);
  });
  return new Proxy({} as TestEmulator, {
    get(_target, prop) {
      if (!current) throw new Error("sharedEmulator() is only usable inside a test or hook");
      return Reflect.get(current, prop);
    },
  });
}

export interface PerTestEmulators {
  /** Starts an emulator (`defaults` overridden by `opts`) that is stopped after the current test. */
  start(opts?: EmulatorOptions): Promise<TestEmulator>;
  /** Anything else to stop after the current test, e.g. a local webhook receiver. */
  track(resource: { stop(): unknown }): void;
}

/** Emulators started inside tests; each test's are stopped after it (last started, first stopped). */
export function emulatorPerTest(defaults: EmulatorOptions = {}): PerTestEmulators {
  const running: Array<{ stop(): unknown }> = [];
  afterEach(async () => {
    while (running.length > 0) await running.pop()?.stop();
  });
  return {
    async start(opts = {}) {
      const emu = await startTestEmulator({ ...defaults, ...opts });
      running.push(emu);
      return emu;
    },
    track: (resource) => running.push(resource),
  };
}
