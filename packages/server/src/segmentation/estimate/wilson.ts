/**
 * The Wilson score interval of a proportion: well-behaved for small samples and proportions near
 * 0 or 1, where the normal approximation gives negative bounds. Pure.
 *
 * @example
 *   wilsonInterval(30, 100);  // { low: 0.2189..., high: 0.3958... } at 95%
 */
export function wilsonInterval(successes: number, trials: number, z = 1.959964): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const center = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}
