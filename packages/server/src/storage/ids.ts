/** Identifiers for stored objects: a short type prefix and 96 random bits, e.g. `ds_5f0c2a9e41b7d3c86a12fe07`. */
import { randomBytes } from 'node:crypto';

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}
