/**
 * Identifiers for stored objects: a short type prefix, 48 bits of creation time (ms) and 48
 * random bits, as 24 hex digits, e.g. `prs_0193a5c2e4f15f0c2a9e41b7`. Time first keeps the ids of
 * new objects together at the end of every index keyed by them (profile ids key memberships, due
 * times and owners): inserting one dirties the last page, where a random id dirtied a random page
 * of each index, and every dirty page is written out at commit. Ids are names, not secrets (API
 * key secrets come from their own random bytes); 48 random bits per millisecond keep them unique.
 */
import { randomFillSync } from 'node:crypto';

const TIME_BYTES = 6;
const RANDOM_BYTES = 6;
/**
 * Random bytes drawn from the CSPRNG 512 ids at a time: one call into it per id cost more than the
 * rest of creating an identity graph.
 */
const pool = Buffer.allocUnsafe(RANDOM_BYTES * 512);
let next = pool.length;
const id = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);

/** Copies `count` random bytes from the pool into `into` at `offset`. */
function random(into: Buffer, offset: number, count: number): void {
  if (next + count > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(into, offset, next, next + count);
  next += count;
}

export function newId(prefix: string, now: number = Date.now()): string {
  id.writeUIntBE(now, 0, TIME_BYTES);
  random(id, TIME_BYTES, RANDOM_BYTES);
  return `${prefix}_${id.toString('hex')}`;
}

const uuid = Buffer.alloc(16);

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix time in ms, then 74 random bits, e.g.
 * `0193a5c2-e4f1-7c0f-aa9e-41b7d2c8e0f3`. The `_id` given to a record that comes without one:
 * the record log's unique index on (dataset, `_id`) keeps time-ordered ids together at its end,
 * where random (version 4) ids dirtied a page of it for every record (measured on the log's own
 * table: 24–36 µs a record for version 4 ids, 5–8 for increasing ones).
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  uuid.writeUIntBE(now, 0, TIME_BYTES);
  random(uuid, TIME_BYTES, 10);
  uuid[6] = 0x70 | (uuid[6] & 0x0f); // version 7
  uuid[8] = 0x80 | (uuid[8] & 0x3f); // variant 10
  const hex = uuid.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
