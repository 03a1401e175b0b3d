/**
 * Background work on the event loop (streaming audiences, computed attributes, the edge
 * projection's refreshes, all following the record log) gives way to requests: after every
 * `budgetMs` of work it waits for the event loop's next turn, where sockets are read before
 * timers set with `setImmediate` run. A request arriving during a long pass then waits for at
 * most one slice instead of the whole pass; the pass itself does the same work, a little later.
 *
 * @example
 *   const slice = new TimeSlice();
 *   for (const person of people) {
 *     await slice.yieldIfSpent();
 *     evaluate(person);
 *   }
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Work between two turns of the event loop: about one person's evaluation. */
export const DEFAULT_SLICE_MS = 1;

export class TimeSlice {
  private started = performance.now();

  constructor(private readonly budgetMs: number = DEFAULT_SLICE_MS) {}

  /** Waits for the next turn of the event loop once this slice has used its budget. */
  async yieldIfSpent(): Promise<void> {
    if (performance.now() - this.started < this.budgetMs) return;
    await nextTurn();
    this.started = performance.now();
  }
}
