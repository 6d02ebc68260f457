/**
 * The channels a message is sent through: a Slack incoming webhook, a generic webhook (JSON, signed with
 * HMAC-SHA256 when a secret is set) and e-mail through SMTP. A channel holds its secrets (read from the
 * environment at start) and never puts them in an error: a failed send throws a DeliveryError that
 * carries only an HTTP status or a network error code.
 */
import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import { request } from "undici";
import { type AlertMessage, slackBody, webhookBody } from "./message.ts";

export interface AlertChannel {
  /** The name logs use (never a URL or an address). */
  name: string;
  send(message: AlertMessage, signal: AbortSignal): Promise<void>;
  close?(): void;
}

/** Why a send failed, without anything from the URL or the server's answer. */
export class DeliveryError extends Error {
  /** `permanent`: the receiver refused the message itself (a 4xx other than 408/429); sending again is no use. */
  constructor(
    readonly reason: string,
    readonly permanent = false,
  ) {
    super(`not delivered (${reason})`);
    this.name = "DeliveryError";
  }
}

/** The safe part of an error: an HTTP status, or a Node/undici error code. */
export function reasonOf(err: unknown): string {
  if (err instanceof DeliveryError) return err.reason;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === "AbortError" || name === "TimeoutError") return "timeout";
  return "error";
}

export const TIMESTAMP_HEADER = "x-tokportal-sync-timestamp";
export const SIGNATURE_HEADER = "x-tokportal-sync-signature";

/** `sha256=` and the hex HMAC-SHA256, keyed by the secret, of `<timestamp>.<body>` (docs/service.md, Alerts). */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    throw new DeliveryError(reasonOf(err));
  }
  await answer.body.dump().catch(() => undefined);
  const status = answer.statusCode;
  if (status >= 200 && status < 300) return;
  throw new DeliveryError(
    `HTTP ${status}`,
    status >= 400 && status < 500 && status !== 408 && status !== 429,
  );
}

export interface HttpChannelOptions {
  name: string;
  url: string;
  /** Each attempt's limit (ms). */
  timeoutMs: number;
}

export function slackChannel(o: HttpChannelOptions): AlertChannel {
  return { name: o.name, send: (m, signal) => post(o.url, slackBody(m), {}, signal, o.timeoutMs) };
}

export function webhookChannel(o: HttpChannelOptions & { secret: string | null }): AlertChannel {
  return {
    name: o.name,
    send: (m, signal) => {
      const body = webhookBody(m);
      const headers: Record<string, string> = {};
      if (o.secret !== null) {
        const ts = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = ts;
        headers[SIGNATURE_HEADER] = signature(o.secret, ts, body);
      }
      return post(o.url, body, headers, signal, o.timeoutMs);
    },
  };
}

export interface EmailChannelOptions {
  name: string;
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
  to: string[];
  timeoutMs: number;
}

export function emailChannel(o: EmailChannelOptions): AlertChannel {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    ...(o.user !== null ? { auth: { user: o.user, pass: o.password ?? "" } } : {}),
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    logger: false,
    debug: false,
  });
  return {
    name: o.name,
    send: async (m, signal) => {
      if (signal.aborted) throw new DeliveryError("stopped");
      const sent = transport.sendMail({ from: o.from, to: o.to, subject: m.subject, text: m.text });
      const stopped = new Promise<never>((_, reject) =>
        signal.addEventListener("abort", () => reject(new DeliveryError("stopped")), { once: true }),
      );
      try {
        await Promise.race([sent, stopped]);
      } catch (err) {
        throw new DeliveryError(reasonOf(err));
      } finally {
        sent.catch(() => undefined);
      }
    },
    close: () => transport.close(),
  };
}
