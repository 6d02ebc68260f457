/**
 * The emulator's HTTP side: a local TokPortal serving the vendored spec's operations under /api/ext, the
 * admin endpoints under /__emulator/ and the media storage, on a real port.
 *
 * A request under /api/ext passes the stages of `pipeline/` in order: request id and log → faults → route
 * → auth and token bucket (then the managers catch up) → body, dry run and Idempotency-Key → validation
 * and capacity windows → the handler. Handlers (ops/*.ts) only see the validated request and an OpContext.
 */
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { loadSpec } from "../api/spec.ts";
import { registerAdmin } from "./admin.ts";
import type { SimulatedClock } from "./clock.ts";
import { ApiError, type EmulatorRules } from "./context.ts";
import { apiError, errorAnswer, requestIdOf, toResponse } from "./envelope.ts";
import type { FaultConfig } from "./faults.ts";
import type { ApiKeyRecord, EmulatorState } from "./model.ts";
import { authStage, routeStage } from "./pipeline/auth.ts";
import { API_BASE_PATH, type EmulatorSpec, type Env, guarded } from "./pipeline/call.ts";
import { faultStage } from "./pipeline/faults.ts";
import { handlerStage } from "./pipeline/handler.ts";
import { idempotencyStage } from "./pipeline/idempotency.ts";
import { requestStage } from "./pipeline/request.ts";
import { validationStage } from "./pipeline/validation.ts";
import type { RequestLogEntry } from "./request-log.ts";
import { Router } from "./router.ts";
import type { RulesPatch } from "./rules.ts";
import {
  readStoredObject,
  receiveBody,
  receivePresignedUpload,
  STORAGE_ROUTE,
  UPLOAD_ROUTE,
} from "./storage.ts";
import { WebhookDispatcher } from "./webhook-dispatcher.ts";
import { type CreatedKey, Emulator, type EmulatorOptions } from "./world.ts";

export { API_VERSION } from "./envelope.ts";
export { API_BASE_PATH } from "./pipeline/call.ts";
export type { CreatedKey, EmulatorOptions } from "./world.ts";

export interface EmulatorHandle {
  /** Base URL of the API, ending in /api/ext. */
  url: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:4010`. */
  origin: string;
  /** The key the default workspace accepts. */
  apiKey: string;
  port: number;
  /** Stops listening, flushes the state file and stops the webhook dispatcher. */
  stop(): Promise<void>;
  /** Moves the simulated clock forward, runs the managers; returns the new simulated time (ISO). */
  advance(seconds: number): Promise<string>;
  /** The live state (mutations take effect; call `persist()` after editing it by hand). */
  state(): EmulatorState;
  clock: SimulatedClock;
  /** Fresh state with the default workspace and key. */
  reset(): void;
  setFaults(config: FaultConfig): void;
  setRules(patch: RulesPatch): EmulatorRules;
  rules(): EmulatorRules;
  /** A new workspace and its key (returned once; only its hash is stored). */
  createKey(opts?: { credits?: number; scope?: ApiKeyRecord["scope"]; email?: string }): CreatedKey;
  requests(since?: number): RequestLogEntry[];
  clearRequests(): void;
  /** Writes the state file now (no-op without one). */
  persist(): Promise<void>;
}

/** The Hono app serving a world: admin, storage and the API pipeline. */
export function createApp(world: Emulator, spec: EmulatorSpec = loadSpec()): Hono<Env> {
  const router = new Router(spec.operations.values());
  const app = new Hono<Env>();
  registerAdmin(app, world);
  // Media storage (storage.ts): presigned uploads land here; stored objects are served back as a CDN would.
  app.put(`${UPLOAD_ROUTE}:token`, async (c) => {
    const requestId = requestIdOf(c.req.header("x-request-id"));
    try {
      // Read as it arrives: a large video is counted and hashed, not held (storage.ts).
      const body = await receiveBody(c.req.raw.body);
      receivePresignedUpload(
        world.state,
        c.req.param("token"),
        c.req.header("content-type"),
        body,
        world.clock.now(),
      );
      world.touch();
      return c.body(null, 200);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return toResponse(errorAnswer(err), { "x-tokportal-request-id": requestId });
    }
  });
  app.get(`${STORAGE_ROUTE}*`, (c) => {
    const stored = readStoredObject(world.state, c.req.path.slice(STORAGE_ROUTE.length));
    if (!stored) return c.text("Not found", 404);
    return c.body(new Uint8Array(stored.bytes), 200, { "content-type": stored.contentType });
  });

  const api = `${API_BASE_PATH}/*`;
  const warn = (message: string) => world.warn(message);
  app.use(api, requestStage(world, router));
  app.use(api, guarded(faultStage(world), warn));
  app.use(api, guarded(routeStage, warn));
  app.use(api, guarded(authStage(world), warn));
  app.use(api, guarded(idempotencyStage(world), warn));
  app.use(api, guarded(validationStage(world, spec), warn));
  app.all(api, guarded(handlerStage(world), warn));

  app.onError((err, c) => {
    world.warn(`internal error: ${err.stack ?? err.message}`);
    const requestId = requestIdOf(c.req.header("x-request-id"));
    return toResponse(apiError(500, "INTERNAL_ERROR", "The emulator hit an internal error; see its log."), {
      "x-tokportal-request-id": requestId,
    });
  });
  app.notFound((c) => {
    const requestId = requestIdOf(c.req.header("x-request-id"));
    return toResponse(apiError(404, "NOT_FOUND", `No endpoint ${c.req.method} ${c.req.path}`), {
      "x-tokportal-request-id": requestId,
    });
  });
  return app;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  // The spec first (compiling it takes a while): the world's first state-file write is timed from its
  // creation, and a SIGTERM landing during that write would end the CLI before it saves on stop.
  const spec = loadSpec();
  const emu = new Emulator(options);
  const app = createApp(emu, spec);

  const server = createAdaptorServer({ fetch: app.fetch });
  // A dropped connection makes the adapter write into a destroyed socket; that is the point, not an error.
  server.on("clientError", (_err, socket) => socket.destroy());
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const origin = `http://${urlHost}:${port}`;
  emu.origin = origin;

  // Delivery ids stay random: deliveries finish in network order, which must not shift the seeded ids.
  emu.events = new WebhookDispatcher(() => emu.state, emu.clock);

  let stopped = false;
  return {
    url: `${origin}${API_BASE_PATH}`,
    origin,
    apiKey: emu.apiKey,
    port,
    clock: emu.clock,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await emu.events.stop?.();
      await emu.writer?.flush();
    },
    advance: (seconds) => emu.advance(seconds),
    state: () => emu.state,
    reset: () => emu.reset(),
    setFaults: (config) => emu.faults.set(config),
    setRules: (patch) => emu.setRules(patch),
    rules: () => emu.rules,
    createKey: (opts = {}) => emu.createKey(opts),
    requests: (since) => emu.log.since(since),
    clearRequests: () => emu.log.clear(),
    persist: async () => {
      await emu.writer?.flush();
    },
  };
}
