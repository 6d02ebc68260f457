/**
 * Webhook endpoints and their deliveries (docs/tokportal-api.md §13). Background delivery of emitted events is the
 * dispatcher's job (../webhook-dispatcher.ts); the test and retry operations here send one delivery
 * themselves and answer with its outcome.
 */
import { randomBytes } from "node:crypto";
import { ApiError, type OpContext, type OpTable } from "../context.ts";
import type { WebhookDelivery, WebhookEndpoint } from "../model.ts";
import { first, paginate } from "../paginate.ts";
import {
  buildEnvelope,
  DEFAULT_TOLERANCE_SECONDS,
  deliveryRecord,
  postWebhook,
  recordDelivery,
  SIGNATURE_HEADER,
  WEBHOOK_API_VERSION,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_USER_AGENT,
} from "../webhook-dispatcher.ts";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_EVENTS } from "./webhook-events.ts";

interface EndpointBody {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

export const webhookOps: OpTable = {
  listWebhookEvents() {
    return {
      body: {
        data: {
          events: WEBHOOK_EVENTS,
          // A real envelope, as delivered; fields: id (evt_ + 32 hex, the same on every retry of the event),
          // type, api_version, created_at, data (the type's payload_schema).
          envelope: {
            id: "evt_0123456789abcdef0123456789abcdef",
            type: "video.finalized",
            api_version: WEBHOOK_API_VERSION,
            created_at: "2026-06-01T12:00:00.000Z",
            data: WEBHOOK_EVENTS.find((e) => e.type === "video.finalized")?.example_payload ?? {},
          },
          delivery: {
            method: "POST",
            content_type: "application/json",
            timeout_ms: WEBHOOK_TIMEOUT_MS,
            user_agent: WEBHOOK_USER_AGENT,
            headers: [
              "Content-Type",
              "User-Agent",
              "TokPortal-Event-Id",
              "TokPortal-Event-Type",
              SIGNATURE_HEADER,
            ],
            success: "any 2xx answer; anything else (or no answer within the timeout) is a failed delivery",
          },
          signature: {
            header: SIGNATURE_HEADER,
            scheme: "t={unix_timestamp},v1={hmac_sha256}",
            signed_payload: "{timestamp}.{raw_body}",
            algorithm: "HMAC-SHA256",
            default_tolerance_seconds: DEFAULT_TOLERANCE_SECONDS,
          },
        },
      },
    };
  },

  createWebhookEndpoint(req, ctx) {
    const body = req.body as EndpointBody;
    const url = checkUrl(body.url);
    const events = checkEvents(body.events);
    if (Object.values(ctx.state.webhooks).some((w) => w.workspaceId === ctx.workspace.id && w.url === url)) {
      throw new ApiError(409, "WEBHOOK_ENDPOINT_EXISTS", "An endpoint with this URL already exists.", {
        url,
      });
    }
    const now = ctx.clock.iso();
    const endpoint: WebhookEndpoint = {
      id: ctx.newId(),
      workspaceId: ctx.workspace.id,
      url,
      events,
      description: body.description ?? null,
      enabled: body.enabled ?? true,
      // The secret signs every delivery: it comes from the OS CSPRNG, never from the seeded generator.
      signing_secret: `whsec_${randomBytes(32).toString("hex")}`,
      created_at: now,
      updated_at: now,
    };
    ctx.state.webhooks[endpoint.id] = endpoint;
    return {
      status: 201,
      body: { data: { ...endpointView(endpoint), signing_secret: endpoint.signing_secret } },
    };
  },

  listWebhookEndpoints(req, ctx) {
    const enabled = first(req.query.enabled);
    const event = first(req.query.event);
    const items = Object.values(ctx.state.webhooks)
      .filter((w) => w.workspaceId === ctx.workspace.id)
      .filter((w) => enabled === undefined || String(w.enabled) === enabled)
      .filter((w) => event === undefined || w.events.includes(event))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id))
      .map(endpointView);
    return { body: paginate(items, req.query) };
  },

  getWebhookEndpoint(req, ctx) {
    return { body: { data: endpointView(findEndpoint(ctx, req.params.id)) } };
  },

  updateWebhookEndpoint(req, ctx) {
    const endpoint = findEndpoint(ctx, req.params.id);
    const body = req.body as EndpointBody;
    if (body.url !== undefined) {
      const url = checkUrl(body.url);
      const taken = Object.values(ctx.state.webhooks).some(
        (w) => w.workspaceId === ctx.workspace.id && w.id !== endpoint.id && w.url === url,
      );
      if (taken)
        throw new ApiError(409, "WEBHOOK_ENDPOINT_EXISTS", "An endpoint with this URL already exists.", {
          url,
        });
      endpoint.url = url;
    }
    if (body.events !== undefined) endpoint.events = checkEvents(body.events);
    if (body.description !== undefined) endpoint.description = body.description;
    if (body.enabled !== undefined) endpoint.enabled = body.enabled;
    endpoint.updated_at = ctx.clock.iso();
    return { body: { data: endpointView(endpoint) } };
  },

  deleteWebhookEndpoint(req, ctx) {
    const endpoint = findEndpoint(ctx, req.params.id);
    delete ctx.state.webhooks[endpoint.id];
    ctx.state.deliveries = ctx.state.deliveries.filter((d) => d.webhook_id !== endpoint.id);
    return { status: 204 };
  },

  listWebhookDeliveries(req, ctx) {
    const endpoint = findEndpoint(ctx, req.params.id);
    const eventType = first(req.query.event_type);
    const success = first(req.query.success);
    const items = ctx.state.deliveries
      .filter((d) => d.webhook_id === endpoint.id)
      .filter((d) => eventType === undefined || d.event_type === eventType)
      .filter((d) => success === undefined || String(d.success) === success)
      // Newest first; the log is append-only, so position breaks ties between equal timestamps.
      .map((d, i) => ({ d, i }))
      .sort((a, b) => b.d.created_at.localeCompare(a.d.created_at) || b.i - a.i)
      .map(({ d }) => deliveryView(d));
    return { body: paginate(items, req.query) };
  },

  async retryWebhookDelivery(req, ctx) {
    const endpoint = findEndpoint(ctx, req.params.id);
    const original = ctx.state.deliveries.find(
      (d) => d.id === req.params.delivery_id && d.webhook_id === endpoint.id,
    );
    if (!original) {
      throw new ApiError(404, "WEBHOOK_DELIVERY_NOT_FOUND", "Webhook delivery not found.", {
        delivery_id: req.params.delivery_id,
      });
    }
    if (!endpoint.enabled) {
      throw new ApiError(
        409,
        "WEBHOOK_ENDPOINT_DISABLED",
        "The webhook endpoint is disabled; enable it to retry.",
      );
    }
    if (!original.payload) {
      throw new ApiError(
        409,
        "WEBHOOK_PAYLOAD_UNAVAILABLE",
        "The payload of this delivery is no longer available.",
      );
    }
    const attempt =
      Math.max(
        ...ctx.state.deliveries
          .filter((d) => d.webhook_id === endpoint.id && d.event_id === original.event_id)
          .map((d) => d.attempt),
      ) + 1;
    const event = { id: original.event_id, type: original.event_type };
    return { body: { data: await sendNow(ctx, endpoint, event, original.payload, attempt) } };
  },

  async testWebhookEndpoint(req, ctx) {
    const endpoint = findEndpoint(ctx, req.params.id);
    const envelope = buildEnvelope(
      "webhook.test",
      { webhook_id: endpoint.id, message: "This is a test event from TokPortal." },
      ctx.clock.iso(),
    );
    return { body: { data: await sendNow(ctx, endpoint, envelope, JSON.stringify(envelope), 1) } };
  },
};

/** Sends one delivery, records it and answers its view. A dry run sends nothing. */
async function sendNow(
  ctx: OpContext,
  endpoint: WebhookEndpoint,
  event: { id: string; type: string },
  payload: string,
  attempt: number,
): Promise<Record<string, unknown>> {
  const createdAt = ctx.clock.iso();
  const id = ctx.newId();
  if (ctx.dryRun) {
    return { id, webhook_id: endpoint.id, event_id: event.id, event_type: event.type, attempt, sent: false };
  }
  const outcome = await postWebhook(endpoint.url, endpoint.signing_secret, event.id, event.type, payload);
  const record = deliveryRecord(id, endpoint, event, payload, attempt, createdAt, outcome, ctx.clock.iso());
  recordDelivery(ctx.state, record);
  return deliveryView(record);
}

function findEndpoint(ctx: OpContext, id: string | undefined): WebhookEndpoint {
  const endpoint = id ? ctx.state.webhooks[id] : undefined;
  // Another workspace's endpoint is reported as missing: its existence is not ours to reveal.
  if (!endpoint || endpoint.workspaceId !== ctx.workspace.id) {
    throw new ApiError(404, "WEBHOOK_ENDPOINT_NOT_FOUND", "Webhook endpoint not found.", {
      webhook_id: id ?? null,
    });
  }
  return endpoint;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** https anywhere; plain http only to this machine, so local receivers (and tests) can listen. */
function checkUrl(raw: string | undefined): string {
  let url: URL;
  try {
    url = new URL(raw ?? "");
  } catch {
    throw new ApiError(400, "VALIDATION_ERROR", "url must be an absolute https URL.", { field: "url" });
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ApiError(400, "VALIDATION_ERROR", "url must use https (http is accepted only for localhost).", {
      field: "url",
    });
  }
  if (url.username || url.password) {
    throw new ApiError(400, "VALIDATION_ERROR", "url must not carry credentials.", { field: "url" });
  }
  return raw as string;
}

function checkEvents(events: string[] | undefined): string[] {
  const list = [...new Set(events ?? [])];
  if (list.length < 1 || list.length > 50) {
    throw new ApiError(400, "VALIDATION_ERROR", "events must list 1 to 50 event types.", { field: "events" });
  }
  const unknown = list.filter((e) => !WEBHOOK_EVENT_TYPES.has(e));
  if (unknown.length > 0) {
    throw new ApiError(400, "VALIDATION_ERROR", `Unknown event type(s): ${unknown.join(", ")}.`, {
      field: "events",
      invalid_events: unknown,
    });
  }
  return list;
}

/** The endpoint as answered after creation: never the signing secret. */
function endpointView(w: WebhookEndpoint): Record<string, unknown> {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    enabled: w.enabled,
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}

function deliveryView(d: WebhookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    success: d.success,
    response_status: d.response_status,
    attempt: d.attempt,
    duration_ms: d.duration_ms,
    error: d.error,
    created_at: d.created_at,
    delivered_at: d.delivered_at,
  };
}
