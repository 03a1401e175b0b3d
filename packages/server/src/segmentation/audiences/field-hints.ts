/**
 * Warnings for field paths an audience reads that no schema of the sandbox defines, each naming
 * the nearest schema field ("did you mean homeAddress.countryCode?").
 *
 * @example
 *   unknownFieldWarnings(['homeAddress.country'], ['homeAddress.countryCode'], 'profile')
 *   // [{ message: 'profile field "homeAddress.country" is not in any schema; nearest: homeAddress.countryCode' }]
 */

/** Levenshtein distance, bounded: stops counting past `limit`. */
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

export function nearestField(path: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = path.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** A path is known when it is a field, or a prefix of one (an object), of some schema. */
export function unknownFieldWarnings(paths: readonly string[], known: readonly string[], kind: 'profile' | 'event'): { message: string }[] {
  const prefixes = new Set<string>();
  for (const field of known) {
    const parts = field.split('.');
    for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  return paths
    .filter((path) => path !== '' && !prefixes.has(path))
    .map((path) => {
      const nearest = nearestField(path, known);
      return { message: `${kind} field "${path}" is not in any schema of this sandbox${nearest ? `; nearest: ${nearest}` : ''}` };
    });
}
