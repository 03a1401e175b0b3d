/**
 * Retry timing: exponential backoff with jitter (half to full of the step), capped, honouring a
 * destination's Retry-After when longer. Pure.
 *
 * @example
 *   retryDelay(3, { baseMs: 1000, maxMs: 300_000 }, () => 1); // 8000
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts before an item is dead-lettered (the first try counts). */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: 6 };

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (1-based). */
export function retryDelay(attempt: number, policy: Pick<BackoffPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random, retryAfterSeconds?: number): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(step * (0.5 + random() / 2));
  return retryAfterSeconds !== undefined ? Math.max(jittered, Math.min(policy.maxMs, retryAfterSeconds * 1000)) : jittered;
}
