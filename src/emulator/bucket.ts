/**
 * The per-key token bucket (docs/tokportal-api.md §4): capacity 120, refilled continuously at 2 tokens/s, measured on
 * the real clock: a simulated clock running fast must not hand out free requests.
 */
export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

export const DEFAULT_BUCKET: BucketConfig = { capacity: 120, refillPerSecond: 2 };

export interface TakeResult {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Unix seconds when the bucket will be full again. */
  resetAt: number;
  /** Seconds until one token is available (integer, rounded up); 0 when allowed. */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private config: BucketConfig,
    private readonly realNow: () => number = Date.now,
  ) {}

  configure(config: BucketConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  take(key: string): TakeResult {
    const { capacity, refillPerSecond } = this.config;
    const now = this.realNow();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * refillPerSecond);
    b.at = now;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    const toFull = refillPerSecond > 0 ? (capacity - b.tokens) / refillPerSecond : 0;
    const retryAfter =
      allowed || refillPerSecond <= 0 ? (allowed ? 0 : 3600) : Math.ceil((1 - b.tokens) / refillPerSecond);
    return {
      allowed,
      limit: capacity,
      remaining: Math.max(0, Math.floor(b.tokens)),
      resetAt: Math.ceil(now / 1000 + toFull),
      retryAfter: Math.max(allowed ? 0 : 1, retryAfter),
    };
  }

  clear(): void {
    this.buckets.clear();
  }
}
