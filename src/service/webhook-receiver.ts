/**
 * `POST /webhooks/tokportal` on the service's port: TokPortal's deliveries (docs/tokportal-api.md §13).
 * Each one is read raw (bounded), its signature checked against the configured secrets with the timestamp
 * tolerance (webhook-verify.ts), a replay of an event id already taken is dropped, and the answer (2xx) goes
 * out before anything is done with the event: TokPortal times a delivery out after 8 s, and what follows
 * (a debounced refresh, webhook-refresh.ts) takes longer than that.
 *
 * A refusal is logged with its code, never with the body, the signature or the secret. The event id is
 * taken from the signed body, not from the `TokPortal-Event-Id` header, which nothing signs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { ServiceRoute } from "./health.ts";
import {
  REFUSAL_STATUS,
  REFUSAL_WORDS,
  RecentIds,
  type RefusalCode,
  readEvent,
  SIGNATURE_HEADER,
  verifySignature,
  type WebhookEvent,
} from "./webhook-verify.ts";

export const WEBHOOK_PATH = "/webhooks/tokportal";
/** TokPortal's envelopes are a few hundred bytes; anything near this is not one. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ReceiverOptions {
  /** The signing secrets of the subscriptions this service receives (index = the subscription). */
  secrets: readonly string[];
  logger: Logger;
  /** A verified, new event, after its delivery was answered; `subscription` is its secret's index. */
  onEvent: (event: WebhookEvent, subscription: number) => void;
  nowMs?: () => number;
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  recent?: RecentIds;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** The body as bytes, or null once it passed `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on("end", () => {
      ended = true;
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
    // A sender that goes away mid-body must not leave this promise (and its chunks) waiting forever.
    req.on("close", () => {
      if (!ended && !over) reject(new Error("the request was closed before its body ended"));
    });
  });
}

export function webhookReceiver(options: ReceiverOptions): ServiceRoute {
  const recent = options.recent ?? new RecentIds();
  const now = options.nowMs ?? Date.now;
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const { logger } = options;

  const refuse = (req: IncomingMessage, res: ServerResponse, code: RefusalCode) => {
    logger.warn(
      { event: "webhook_refused", reason: code, remote: req.socket.remoteAddress ?? null },
      `TokPortal webhook refused: ${REFUSAL_WORDS[code]}`,
    );
    if (code === "method_not_allowed") res.setHeader("allow", "POST");
    // The connection is closed after an oversized body, so its unread rest is not parsed as a request.
    if (code === "body_too_large") res.setHeader("connection", "close");
    answer(res, REFUSAL_STATUS[code], { error: code });
  };

  const take = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req, limit);
    if (raw === null) return refuse(req, res, "body_too_large");
    const verified = verifySignature(raw, req.headers[SIGNATURE_HEADER], {
      secrets: options.secrets,
      nowMs: now(),
      ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}),
    });
    if (!verified.ok) return refuse(req, res, verified.code);
    const event = readEvent(raw);
    if (!event) return refuse(req, res, "body_unreadable");
    // Only a verified id is remembered: an unsigned request cannot fill the memory or shadow a real event.
    if (recent.seen(event.id)) {
      logger.info(
        { event: "webhook_duplicate", eventId: event.id, type: event.type },
        "TokPortal webhook already taken: ignored",
      );
      answer(res, 200, { received: true, duplicate: true });
      return;
    }
    answer(res, 200, { received: true });
    logger.info({ event: "webhook_received", eventId: event.id, type: event.type }, "TokPortal webhook");
    options.onEvent(event, verified.secretIndex);
  };

  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== WEBHOOK_PATH) return false;
    if (req.method !== "POST") {
      refuse(req, res, "method_not_allowed");
      req.resume();
      return true;
    }
    take(req, res).catch((err: unknown) => {
      logger.error(
        { event: "webhook_failed", error: (err as Error)?.message ?? String(err) },
        "TokPortal webhook could not be read",
      );
      if (!res.headersSent) answer(res, 400, { error: "body_unreadable" });
    });
    return true;
  };
}
