/** The emulator's memory of what it was asked, for tests and for `GET /__emulator/requests`. */
export interface RequestLogEntry {
  /** Position in the log since the emulator started (survives trimming, so `?since=` stays valid). */
  index: number;
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  /** Real time, ISO. */
  at: string;
  operationId: string | null;
  request_id: string;
  replayed: boolean;
  dry_run: boolean;
  /** The injected fault, if any: `drop`, `drop_after`, `status:503`, `rate429`, `storm`. */
  fault: string | null;
  /** Latency the fault injector added before handling (0 when none), so tests need no stopwatch. */
  delay_ms?: number;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  /** Index of entries[0]. */
  private first = 0;

  constructor(private readonly max = 100_000) {}

  add(entry: Omit<RequestLogEntry, "index">): void {
    this.entries.push({ index: this.first + this.entries.length, ...entry });
    // Trim in chunks so a full log does not pay an O(n) shift per request.
    if (this.entries.length > this.max) {
      const drop = Math.ceil(this.max / 10);
      this.entries = this.entries.slice(drop);
      this.first += drop;
    }
  }

  /** Entries with index >= since. */
  since(since = 0): RequestLogEntry[] {
    return this.entries.slice(Math.max(0, since - this.first));
  }

  clear(): void {
    this.first += this.entries.length;
    this.entries = [];
  }
}
