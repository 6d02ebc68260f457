/**
 * A channel's delivery queue: messages are sent one at a time in order, each retried with backoff, while
 * runs go on (pushing never waits). The queue is bounded: when a receiver stays down, the oldest waiting
 * message is dropped for the newest, and said so. On stop, `drain` gives what is queued a short deadline,
 * then gives up. Logs name the channel only, never its URL or an answer's content.
 */
import pRetry from "p-retry";
import type { Logger } from "pino";
import { type AlertChannel, DeliveryError, reasonOf } from "./channels.ts";
import type { AlertMessage } from "./message.ts";

export interface QueueOptions {
  /** Messages waiting at most (default 100). */
  maxQueued?: number;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First and longest wait between attempts (default 1 s, 60 s; doubling). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface QueueCounts {
  sent: number;
  failed: number;
  dropped: number;
  queued: number;
}

export class DeliveryQueue {
  private readonly waiting: AlertMessage[] = [];
  private worker: Promise<void> | null = null;
  private readonly stop = new AbortController();
  private readonly counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    readonly channel: AlertChannel,
    private readonly logger: Logger,
    private readonly options: QueueOptions = {},
  ) {}

  /** Queues a message; returns at once. */
  push(message: AlertMessage): void {
    if (this.stop.signal.aborted) {
      this.counts.dropped++;
      return;
    }
    if (this.waiting.length >= (this.options.maxQueued ?? 100)) {
      this.waiting.shift();
      this.counts.dropped++;
      this.logger.warn(
        { event: "alert_dropped", channel: this.channel.name },
        `alerts to ${this.channel.name}: queue full, the oldest waiting message was dropped`,
      );
    }
    this.waiting.push(message);
    this.worker ??= this.work().finally(() => {
      this.worker = null;
    });
  }

  stats(): QueueCounts {
    return { ...this.counts, queued: this.waiting.length };
  }

  private async work(): Promise<void> {
    for (let m = this.waiting.shift(); m; m = this.waiting.shift()) {
      const message = m;
      try {
        await pRetry(() => this.channel.send(message, this.stop.signal), {
          retries: this.options.retries ?? 5,
          factor: 2,
          minTimeout: this.options.minDelayMs ?? 1000,
          maxTimeout: this.options.maxDelayMs ?? 60_000,
          signal: this.stop.signal,
          shouldRetry: ({ error }) =>
            !this.stop.signal.aborted && !(error instanceof DeliveryError && error.permanent),
        });
        this.counts.sent++;
        this.logger.info(
          { event: "alert_sent", channel: this.channel.name, campaign: message.campaign },
          `alert sent to ${this.channel.name}`,
        );
      } catch (err) {
        this.counts.failed++;
        this.logger.error(
          {
            event: "alert_failed",
            channel: this.channel.name,
            campaign: message.campaign,
            reason: reasonOf(err),
          },
          `alert to ${this.channel.name} not delivered`,
        );
      }
    }
  }

  /** Waits for the queue to empty, at most `deadlineMs`; then stops retrying and drops what is left. */
  async drain(deadlineMs: number): Promise<QueueCounts & { abandoned: number }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([this.worker ?? Promise.resolve(), deadline]);
    clearTimeout(timer);
    let abandoned = 0;
    if (this.worker) {
      this.stop.abort();
      abandoned = this.waiting.splice(0).length + 1;
      this.counts.dropped += abandoned - 1;
      await this.worker.catch(() => undefined);
    }
    this.channel.close?.();
    return { ...this.stats(), abandoned };
  }
}
