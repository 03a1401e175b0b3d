/**
 * A read-through cache of one list per sandbox, for documents read on hot paths (every streaming
 * evaluation lists the sandbox's audiences) but written rarely, and only through the store that
 * owns the cache: its writes call `invalidate`. Cached documents are deep-frozen, so a caller
 * that changed one by mistake fails loudly instead of changing what every other caller sees.
 *
 * @example
 *   const cache = new SandboxListCache<Audience>();
 *   const all = cache.get(sandboxId, () => readAll(sandboxId)); // read once
 *   cache.invalidate(sandboxId); // after a write
 */
export class SandboxListCache<T> {
  private readonly lists = new Map<string, readonly T[]>();

  get(sandboxId: string, load: () => T[]): T[] {
    let list = this.lists.get(sandboxId);
    if (!list) {
      list = Object.freeze(load().map(deepFreeze));
      this.lists.set(sandboxId, list);
    }
    return [...list];
  }

  invalidate(sandboxId: string): void {
    this.lists.delete(sandboxId);
  }
}

/** Freezes a JSON-like value and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object)) deepFreeze(inner);
  }
  return value;
}
