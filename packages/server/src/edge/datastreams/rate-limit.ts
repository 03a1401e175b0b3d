/**
 * A token bucket per datastream: `requestsPerSecond` tokens flow in continuously up to `burst`;
 * each request takes one. Pure arithmetic over a clock the caller passes in, so tests need no waiting.
 *
 * @example
 *   const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 2 }, 0);
 *   bucket.take(0).allowed; // true
 *   bucket.take(0).allowed; // true
 *   bucket.take(0);         // { allowed: false, retryAfterSeconds: 1 }
 */
export interface RateDecision {
  allowed: boolean;
  /** When refused: whole seconds until a token is available (for `Retry-After`). */
  retryAfterSeconds: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;
  private readonly capacity: number;

  constructor(limit: { requestsPerSecond: number; burst: number }, now: number) {
    this.perMs = limit.requestsPerSecond / 1000;
    this.capacity = limit.burst;
    this.tokens = limit.burst;
    this.last = now;
  }

  take(now: number): RateDecision {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000)) };
  }
}
