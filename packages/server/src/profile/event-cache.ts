/**
 * Parsed event bodies by record-log position, least recently used first out, bounded by the bytes
 * of the bodies held. Log entries never change and positions are never reused (the log's seq is
 * AUTOINCREMENT), so a cached body is always the stored one; a deleted record simply stops being
 * asked for (its position leaves the timeline) and ages out.
 *
 * @example
 *   const cache = new EventCache(32 * 1024 * 1024);
 *   cache.put(42, '{"eventType":"x"}', { eventType: 'x' });
 *   cache.get(42); // { eventType: 'x' }
 */
import type { JsonObject } from '../storage/json.ts';

/** Default bound: bytes of JSON text of the bodies held (their parsed form takes a small multiple). */
export const EVENT_CACHE_BYTES = 32 * 1024 * 1024;

interface Entry {
  body: JsonObject;
  bytes: number;
}

export class EventCache {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest use first.
  private readonly entries = new Map<number, Entry>();
  private held = 0;

  constructor(private readonly maxBytes: number = EVENT_CACHE_BYTES) {}

  get(seq: number): JsonObject | undefined {
    const entry = this.entries.get(seq);
    if (!entry) return undefined;
    this.entries.delete(seq);
    this.entries.set(seq, entry);
    return entry.body;
  }

  put(seq: number, text: string, body: JsonObject): void {
    const bytes = text.length;
    if (bytes > this.maxBytes) return;
    const previous = this.entries.get(seq);
    if (previous) {
      this.held -= previous.bytes;
      this.entries.delete(seq);
    }
    this.entries.set(seq, { body, bytes });
    this.held += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= entry.bytes;
    }
  }

  /** Bytes of JSON text held. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }
}
