/**
 * Timestamp strings parsed once: events and attributes carry the same ISO strings evaluation
 * after evaluation, so the engine keeps a bounded cache of `parseTimestamp` results
 * (the parsing rules themselves are `pql/time.ts`'s).
 *
 * @example
 *   cachedTimestamp('2025-06-18T15:00:00Z');  // 1750258800000 (parsed once, then cached)
 */
import { parseTimestamp } from '../pql/time.ts';

const CACHE_LIMIT = 50_000;
let cache = new Map<string, number | null>();

/**
 * Epoch ms of an ISO-8601 timestamp string, or null (see `parseTimestamp`).
 *
 * @example
 *   cachedTimestamp('yesterday-ish');  // null
 */
export function cachedTimestamp(value: string): number | null {
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const parsed = parseTimestamp(value);
  if (cache.size >= CACHE_LIMIT) cache = new Map();
  cache.set(value, parsed);
  return parsed;
}
