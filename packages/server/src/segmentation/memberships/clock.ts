/**
 * The clock streaming memberships read: the time of an evaluation and one-shot timers. Injected so
 * tests move time by hand (`ManualClock`) instead of sleeping.
 *
 * @example
 *   const clock = new ManualClock(Date.parse('2026-11-01T10:00:00Z'));
 *   clock.setTimer(() => console.log('3 hours later'), 3 * 3600_000);
 *   await clock.advance(3 * 3600_000);
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /**
   * Calls `fire` once after `delayMs` (never sooner than 0). `fire` may return the promise of the
   * work it started: a manual clock waits for it before it moves on.
   */
  setTimer(fire: () => void | Promise<unknown>, delayMs: number): TimerHandle;
}

/** Node's setTimeout counts delays in a signed 32-bit integer; longer waits are chained. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fire, delayMs) {
    let timer: NodeJS.Timeout;
    const arm = (remaining: number) => {
      timer = setTimeout(() => (remaining > LONGEST_TIMER_MS ? arm(remaining - LONGEST_TIMER_MS) : void fire()), Math.max(0, Math.min(remaining, LONGEST_TIMER_MS)));
      // A pending membership timer must not keep the process alive on its own.
      timer.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A clock that moves only when told; timers fire in time order as it passes them. */
export class ManualClock implements Clock {
  private timers: { at: number; fire: () => void | Promise<unknown>; cancelled: boolean }[] = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimer(fire: () => void | Promise<unknown>, delayMs: number): TimerHandle {
    const timer = { at: this.current + Math.max(0, delayMs), fire, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /**
   * Moves time forward, firing every timer passed on the way and waiting for the work each one
   * started (timers that work sets on the way fire in turn).
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      this.timers.splice(this.timers.indexOf(next), 1);
      await next.fire();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = target;
  }

  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
