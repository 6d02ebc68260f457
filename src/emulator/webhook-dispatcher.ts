/**
 * Signed webhook delivery (docs/tokportal-api.md §13). The core hands every state-change event to
 * `WebhookDispatcher.emit`; it builds TokPortal's envelope once per event and POSTs it, in the background,
 * to every enabled endpoint of the workspace subscribed to that type, recording each attempt as a
 * `WebhookDelivery`. Deliveries to one endpoint go out one at a time, in emission order, so a receiver
 * sees events in the order they happened.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { EmulatorClock, EventSink } from "./context.ts";
import type { EmulatorState, WebhookDelivery, WebhookEndpoint } from "./model.ts";

export const WEBHOOK_API_VERSION = "2026-05-25";
export const WEBHOOK_TIMEOUT_MS = 8_000;
export const WEBHOOK_USER_AGENT = "TokPortal-Webhooks/1.0";
export const SIGNATURE_HEADER = "TokPortal-Signature";
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookEnvelope {
  id: string;
  type: string;
  api_version: string;
  created_at: string;
  data: Record<string, unknown>;
}

/** A new event id: `evt_` + 32 hex. Receivers deduplicate on it, so it must be unique, not predictable. */
export function newEventId(): string {
  return `evt_${randomBytes(16).toString("hex")}`;
}

export function buildEnvelope(
  type: string,
  data: Record<string, unknown>,
  createdAt: string,
): WebhookEnvelope {
  return { id: newEventId(), type, api_version: WEBHOOK_API_VERSION, created_at: createdAt, data };
}

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

export interface DeliveryOutcome {
  success: boolean;
  response_status: number | null;
  duration_ms: number;
  error: string | null;
}

export interface PostOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * POSTs one signed delivery and reports what happened; never throws. The signature timestamp is real
 * time, not the simulated clock: receivers check it against their own clock.
 */
export async function postWebhook(
  url: string,
  secret: string,
  eventId: string,
  eventType: string,
  payload: string,
  options: PostOptions = {},
): Promise<DeliveryOutcome> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal) signals.push(options.signal);
  const started = performance.now();
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.any(signals),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": WEBHOOK_USER_AGENT,
        "TokPortal-Event-Id": eventId,
        "TokPortal-Event-Type": eventType,
        [SIGNATURE_HEADER]: signWebhook(secret, payload, Math.floor(Date.now() / 1000)),
      },
      body: payload,
    });
    // The answer's body is of no interest, but it must be drained so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      success: ok,
      response_status: response.status,
      duration_ms: Math.round(performance.now() - started),
      error: ok ? null : `Endpoint answered HTTP ${response.status}`,
    };
  } catch (err) {
    return {
      success: false,
      response_status: null,
      duration_ms: Math.round(performance.now() - started),
      error: describeFailure(err, timeoutMs),
    };
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return `Timed out after ${timeoutMs} ms`;
  if (e?.name === "AbortError") return "Delivery aborted";
  const code = e?.cause?.code;
  return code
    ? `Connection failed (${code})`
    : `Delivery failed: ${e?.cause?.message ?? e?.message ?? String(err)}`;
}

/** Builds the stored record of one attempt. */
export function deliveryRecord(
  id: string,
  endpoint: WebhookEndpoint,
  envelope: { id: string; type: string },
  payload: string,
  attempt: number,
  createdAt: string,
  outcome: DeliveryOutcome,
  finishedAt: string,
): WebhookDelivery {
  return {
    id,
    webhook_id: endpoint.id,
    event_id: envelope.id,
    event_type: envelope.type,
    payload,
    success: outcome.success,
    response_status: outcome.response_status,
    attempt,
    duration_ms: outcome.duration_ms,
    error: outcome.error,
    created_at: createdAt,
    delivered_at: outcome.success ? finishedAt : null,
  };
}

/** How many delivery records the state keeps; the oldest go first (each holds its payload for retries). */
export const MAX_DELIVERY_RECORDS = 20_000;

/** Appends a delivery to the log, dropping the oldest records beyond MAX_DELIVERY_RECORDS. */
export function recordDelivery(state: EmulatorState, record: WebhookDelivery): void {
  state.deliveries.push(record);
  const excess = state.deliveries.length - MAX_DELIVERY_RECORDS;
  if (excess > 0) state.deliveries.splice(0, excess);
}

/** The endpoints of a workspace that receive an event type. */
export function subscribedEndpoints(
  state: EmulatorState,
  workspaceId: string,
  type: string,
): WebhookEndpoint[] {
  return Object.values(state.webhooks)
    .filter((w) => w.workspaceId === workspaceId && w.enabled && w.events.includes(type))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export interface DispatcherOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class WebhookDispatcher implements EventSink {
  private readonly pending = new Set<Promise<void>>();
  /** The tail of each endpoint's queue, so its deliveries go out in order. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;

  /** `getState` is read at each emit, so a reset or reloaded state is picked up. */
  constructor(
    private readonly getState: () => EmulatorState,
    private readonly clock: EmulatorClock,
    private readonly options: DispatcherOptions = {},
  ) {}

  emit(workspaceId: string, type: string, data: Record<string, unknown>): void {
    if (this.stopped) return;
    const state = this.getState();
    const endpoints = subscribedEndpoints(state, workspaceId, type);
    if (endpoints.length === 0) return;
    const envelope = buildEnvelope(type, data, this.clock.iso());
    const payload = JSON.stringify(envelope);
    for (const endpoint of endpoints) {
      // Snapshot what to send now: a later PATCH of the endpoint must not change an event already emitted.
      const target = { ...endpoint };
      const previous = this.tails.get(endpoint.id) ?? Promise.resolve();
      const job = previous.catch(() => undefined).then(() => this.deliver(state, target, envelope, payload));
      this.tails.set(endpoint.id, job);
      this.track(job, endpoint.id);
    }
  }

  /** Resolves once every queued delivery has finished (including ones queued while waiting). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Drops new events, aborts deliveries in flight, and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.flush();
  }

  private track(job: Promise<void>, endpointId: string): void {
    this.pending.add(job);
    const settle = () => {
      this.pending.delete(job);
      if (this.tails.get(endpointId) === job) this.tails.delete(endpointId);
    };
    job.then(settle, settle);
  }

  private async deliver(
    state: EmulatorState,
    endpoint: WebhookEndpoint,
    envelope: WebhookEnvelope,
    payload: string,
  ): Promise<void> {
    // Deleted or disabled since the event was emitted: the endpoint no longer wants it.
    if (!state.webhooks[endpoint.id]?.enabled) return;
    const createdAt = this.clock.iso();
    const outcome = this.stopped
      ? { success: false, response_status: null, duration_ms: 0, error: "Delivery aborted" }
      : await postWebhook(endpoint.url, endpoint.signing_secret, envelope.id, envelope.type, payload, {
          timeoutMs: this.options.timeoutMs,
          signal: this.abort.signal,
          fetch: this.options.fetch,
        });
    // Deliveries finish in network order, so drawing their ids from the seeded stream would make every
    // later bundle id depend on timing: they get OS-random ids instead.
    const id = randomUUID();
    recordDelivery(
      state,
      deliveryRecord(id, endpoint, envelope, payload, 1, createdAt, outcome, this.clock.iso()),
    );
  }
}
