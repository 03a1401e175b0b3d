/** Identifiers for stored objects: a short type prefix and 96 random bits, e.g. `ds_5f0c2a9e41b7d3c86a12fe07`. */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 12;
/**
 * Random bytes drawn from the CSPRNG 512 ids at a time: one call into it per id cost more than the
 * rest of creating an identity graph.
 */
const pool = Buffer.allocUnsafe(ID_BYTES * 512);
let next = pool.length;

export function newId(prefix: string): string {
  if (next + ID_BYTES > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const id = pool.toString('hex', next, next + ID_BYTES);
  next += ID_BYTES;
  return `${prefix}_${id}`;
}
