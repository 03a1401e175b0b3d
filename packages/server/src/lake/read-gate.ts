/**
 * Keeps lake files alive while queries read them: files dropped by deletion or retention are
 * removed at once when no query is running, else as soon as the last running query ends.
 *
 * @example
 *   const release = gate.enter();
 *   try { await runQuery(); } finally { void release(); }
 *   await gate.retire('/data/lake/sandbox=s/dataset=d'); // removed now, or after the running queries
 */
import { rm } from 'node:fs/promises';

export class ReadGate {
  private readers = 0;
  private retired: string[] = [];

  /**
   * Marks a reader in; call the returned function when it is done. It resolves once whatever was
   * retired meanwhile is removed (callers need not wait).
   */
  enter(): () => Promise<void> {
    this.readers++;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.readers--;
      if (this.readers === 0) await this.removeRetired();
    };
  }

  /** Removes a file or directory (recursively) once no reader can be using it. */
  async retire(path: string): Promise<void> {
    this.retired.push(path);
    if (this.readers === 0) await this.removeRetired();
  }

  /** Paths waiting for readers to finish. */
  get pending(): readonly string[] {
    return this.retired;
  }

  /** Removes whatever is waiting; called when the last reader leaves and at close. */
  async removeRetired(): Promise<void> {
    const paths = this.retired;
    this.retired = [];
    // A failed removal leaves an orphan that the start-up sweep removes; it must not fail the caller.
    await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true }).catch(() => undefined)));
  }
}
