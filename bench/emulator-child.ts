/**
 * The sandbox in a child process, for benchmarks that time the sync against it. TokPortal works on its own
 * machine while the sync computes; an emulator in the sync's own process would not even receive a request
 * until the sync's event loop is free, and its CPU would be counted in the sync's time. In a child it gets
 * the other core, as `tokportal-sync emulator` would. Driven over its admin endpoints (src/emulator/admin.ts).
 *
 *   node --import tsx bench/emulator-child.ts '<EmulatorOptions as JSON>'   (what `startEmulatorChild` runs)
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { EmulatorOptions, RequestLogEntry } from "../src/emulator/index.ts";
import { firstJsonLine } from "../test/support/streams.ts";

export interface EmulatorChild {
  url: string;
  apiKey: string;
  /** The request log from index `since` on, and the index after its last entry. */
  requests(since?: number): Promise<{ entries: RequestLogEntry[]; next: number }>;
  /** Moves the simulated clock (POST /__emulator/advance). */
  advance(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

export async function startEmulatorChild(options: EmulatorOptions): Promise<EmulatorChild> {
  const child = spawn(process.execPath, ["--import", "tsx", self, JSON.stringify({ ...options, port: 0 })], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const { url, apiKey } = await firstJsonLine<{ url: string; apiKey: string }>(child, "the emulator");
  const admin = `${new URL(url).origin}/__emulator`;
  const call = async (path: string, init?: RequestInit): Promise<unknown> => {
    const res = await fetch(`${admin}${path}`, init);
    if (!res.ok) throw new Error(`emulator ${path}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    url,
    apiKey,
    requests: async (since = 0) => {
      const body = (await call(`/requests?since=${since}`)) as { data: RequestLogEntry[]; next: number };
      return { entries: body.data, next: body.next };
    },
    advance: async (seconds) => {
      await call("/advance", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seconds }),
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

if (process.argv[1] === self) {
  const { startEmulator } = await import("../src/emulator/index.ts");
  const emu = await startEmulator({
    ...(JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions),
    quiet: true,
  });
  process.stdout.write(`${JSON.stringify({ url: emu.url, apiKey: emu.apiKey })}\n`);
  process.once("SIGTERM", () => void emu.stop().then(() => process.exit(0)));
}
