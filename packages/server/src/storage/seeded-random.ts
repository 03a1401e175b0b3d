/**
 * A small, fast seeded pseudo-random generator (mulberry32) for generated data that must be the
 * same on every machine: test fixtures, fuzz inputs, the demo. Not for anything secret.
 *
 * @example
 *   const random = seededRandom(7);
 *   random(); // 0 <= x < 1, the same sequence for seed 7 every time
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
