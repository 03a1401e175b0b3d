/**
 * Runs async tasks one at a time, in call order: read-modify-write sequences over storage (lake
 * flushes and deletions, identity linking, profile projection) must not interleave at their
 * `await` points.
 *
 * @example
 *   const queue = new SerialQueue();
 *   await Promise.all([queue.run(flush), queue.run(() => deleteDataset('s', 'd'))]); // one after the other
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves when no task is left, including tasks queued while waiting. */
  async idle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }
}
