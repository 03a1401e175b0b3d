/**
 * A token bucket per destination: events per second with a burst of one second's worth. Callers
 * ask how long to wait before sending `n` events; the tokens are taken at once (a batch larger
 * than the burst goes into debt, paid back before the next send).
 *
 * @example
 *   const bucket = new TokenBucket(100);
 *   await sleep(bucket.take(10));
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Milliseconds to wait before sending `n`; the tokens are reserved. */
  take(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
