/**
 * The timer wheel of time-based entries and exits: the due-time table holds, per (profile,
 * audience), the instant its membership can next change with no new data; one in-process timer
 * waits for the earliest of them. When it fires, only the people due are re-evaluated (someone
 * who "bought in the last 3 hours" exits when the 3 hours pass), and the timer moves to the next
 * due time. At start the timer is armed from the table, so overdue entries fire at once after a
 * restart.
 *
 * @example
 *   const timers = new MembershipTimers(dueStore, (s, keys, at) => streaming.evaluate(s, keys, at), systemClock);
 *   streaming.onDueTime((at) => timers.schedule(at));
 *   await timers.start();
 */
import type { IdentityKey } from '../../identity/graph.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { DueStore } from './timing-store.ts';

/** Due entries handled per firing; a larger backlog continues on the next turn of the event loop. */
const FIRE_BATCH = 500;
/** A re-evaluation that failed is tried again this much later (not at once, which would spin). */
const RETRY_AFTER_MS = 60_000;

export type Reevaluate = (sandboxId: string, identities: readonly IdentityKey[], at: number) => Promise<unknown>;

export class MembershipTimers {
  private timer?: TimerHandle;
  private armedFor = Infinity;
  private running?: Promise<void>;
  private stopped = true;
  private fired = 0;

  constructor(
    private readonly due: DueStore,
    private readonly reevaluate: Reevaluate,
    private readonly clock: Clock,
    private readonly onError: (err: Error) => void = (err) => process.emitWarning(`membership timer failed: ${err.message}`),
  ) {}

  /** Loads the earliest due time and arms the timer (overdue entries fire at once). */
  async start(): Promise<void> {
    this.stopped = false;
    const earliest = await this.due.earliest();
    if (earliest !== undefined) this.schedule(earliest);
  }

  /** Told of a new due time; re-arms only when it is earlier than the one waited for. */
  schedule(at: number): void {
    if (this.stopped || at >= this.armedFor) return;
    this.timer?.cancel();
    this.armedFor = at;
    this.timer = this.clock.setTimer(() => this.fire(), at - this.clock.now());
  }

  /** Profiles re-evaluated by timers since start. */
  get firedCount(): number {
    return this.fired;
  }

  /** Resolves when no firing is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Infinity;
    await this.idle();
  }

  /** Starts a pass over the due entries; resolves when it ends and the timer is armed again. */
  private fire(): Promise<void> {
    this.timer = undefined;
    this.armedFor = Infinity;
    if (this.running) return this.running; // the running pass re-arms when it ends
    const running = this.drain()
      .catch((err: Error) => this.onError(err))
      .finally(() => {
        this.running = undefined;
      })
      .then(() => (this.stopped ? undefined : this.rearm().catch((err: Error) => this.onError(err))));
    this.running = running;
    return running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const entries = await this.due.dueBy(now, FIRE_BATCH);
      if (entries.length === 0) return;
      const bySandbox = new Map<string, IdentityKey[]>();
      for (const e of entries) bySandbox.set(e.sandboxId, [...(bySandbox.get(e.sandboxId) ?? []), e.identityKey]);
      const failed = new Set<string>();
      for (const [sandboxId, keys] of bySandbox) {
        try {
          await this.reevaluate(sandboxId, [...new Set(keys)], now);
        } catch (err) {
          failed.add(sandboxId);
          this.onError(err as Error);
        }
      }
      // An evaluation that found a new due time replaced the entry; one that found none (or no
      // longer found the person) leaves it as it was, and it is cleared here.
      for (const e of entries) if (!failed.has(e.sandboxId)) await this.due.clearIfUnchanged(e);
      for (const sandboxId of failed) {
        const retry = entries.filter((e) => e.sandboxId === sandboxId).map((e) => ({ ...e, dueAt: now + RETRY_AFTER_MS }));
        await this.due.set(sandboxId, retry);
      }
      this.fired += entries.length;
      if (this.stopped || entries.length < FIRE_BATCH) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async rearm(): Promise<void> {
    const earliest = await this.due.earliest();
    if (earliest !== undefined) this.schedule(earliest);
  }
}
