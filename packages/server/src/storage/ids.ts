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

export function newId(prefix: string, now: number = Date.now()): string {
  if (next + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  id.writeUIntBE(now, 0, TIME_BYTES);
  pool.copy(id, TIME_BYTES, next, next + RANDOM_BYTES);
  next += RANDOM_BYTES;
  return `${prefix}_${id.toString('hex')}`;
}
