/**
 * Deterministic, non-cryptographic bucketing shared by every node: MurmurHash3 x86 32-bit over
 * UTF-16 code units (Guava's `murmur3_32().hashUnencodedChars`, seed 0), exactly the hash Adobe
 * Target's on-device decisioning uses for its allocation, so the same visitor lands in the same
 * bucket on every process and every restart.
 *
 * @example
 *   allocationBucket('prod', 'act_1', 'visitor-1'); // 0..9999, stable
 */

/** 32-bit multiply without losing the low bits to floating point. */
function mul32(m: number, n: number): number {
  const nlo = n & 0xffff;
  const nhi = n - nlo;
  return (((nhi * m) | 0) + ((nlo * m) | 0)) | 0;
}

/**
 * MurmurHash3 x86 32 over the string's UTF-16 code units (two per 32-bit block), as a signed
 * 32-bit integer. Matches `@adobe/target-nodejs-sdk`'s `hashUnencodedChars`.
 */
export function murmurHash3Chars(value: string, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = value.length;
  const roundedEnd = length & ~0x1;
  let h1 = seed | 0;
  let k1: number;
  for (let i = 0; i < roundedEnd; i += 2) {
    k1 = value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16);
    k1 = mul32(k1, c1);
    k1 = ((k1 & 0x1ffff) << 15) | (k1 >>> 17);
    k1 = mul32(k1, c2);
    h1 ^= k1;
    h1 = ((h1 & 0x7ffff) << 13) | (h1 >>> 19);
    h1 = (h1 * 5 + 0xe6546b64) | 0;
  }
  if (length % 2 === 1) {
    k1 = value.charCodeAt(roundedEnd);
    k1 = mul32(k1, c1);
    k1 = ((k1 & 0x1ffff) << 15) | (k1 >>> 17);
    k1 = mul32(k1, c2);
    h1 ^= k1;
  }
  h1 ^= length << 1;
  h1 ^= h1 >>> 16;
  h1 = mul32(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = mul32(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1;
}

export const BUCKETS = 10_000;

/** Salts keep the holdout draw independent of the experience draw for the same visitor. */
export const EXPERIENCE_SALT = '0';
export const HOLDOUT_SALT = 'holdout';

/**
 * The visitor's bucket 0..9999 in an activity: `|murmur3(client.activity.visitor.salt)| % 10000`,
 * Target's device id layout with the sandbox name as the client code.
 */
export function allocationBucket(client: string, activityId: string, visitorKey: string, salt: string = EXPERIENCE_SALT): number {
  return Math.abs(murmurHash3Chars(`${client}.${activityId}.${visitorKey}.${salt}`)) % BUCKETS;
}

/** Target's `allocation` value (0–100, two decimals) for the same device id, for compatibility checks. */
export function targetAllocation(clientCode: string, activityId: string, visitorId: string, salt = '0'): number {
  const bucket = allocationBucket(clientCode, activityId, visitorId, salt);
  return Math.round((bucket / BUCKETS) * 100 * 100) / 100;
}
