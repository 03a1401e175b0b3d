/**
 * Levenshtein distance between two strings, for "did you mean" hints (unknown functions, unknown
 * fields). Bounded: strings whose lengths differ by more than `limit` are not compared further.
 *
 * @example
 *   editDistance('kitten', 'sitting'); // 3
 */
export function editDistance(a: string, b: string, limit = 64): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
