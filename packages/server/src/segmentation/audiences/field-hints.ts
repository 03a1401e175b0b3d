/**
 * Warnings for field paths an audience reads that no schema of the sandbox defines, each naming
 * the nearest schema field ("did you mean homeAddress.countryCode?").
 *
 * @example
 *   unknownFieldWarnings(['homeAddress.country'], ['homeAddress.countryCode'], 'profile')
 *   // [{ message: 'profile field "homeAddress.country" is not in any schema; nearest: homeAddress.countryCode' }]
 */
import { editDistance } from '../pql/edit-distance.ts';


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
