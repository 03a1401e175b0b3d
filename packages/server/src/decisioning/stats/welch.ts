/**
 * Welch's unequal-variance t-test on a per-visitor metric (revenue per visitor) from sufficient
 * statistics: the count, the sum and the sum of squares of each arm.
 *
 * @example
 *   welchTTest({ n: 10, sum: 50, sumSquares: 270 }, { n: 12, sum: 72, sumSquares: 460 }).pValue;
 */
import { studentTTwoSided } from './distributions.ts';

export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface WelchTest {
  /** Mean difference treatment − control. */
  difference: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided. */
  pValue: number;
}

export function mean(m: Moments): number {
  return m.n > 0 ? m.sum / m.n : 0;
}

/** Unbiased sample variance (n − 1 in the denominator). */
export function sampleVariance(m: Moments): number {
  if (m.n < 2) return Number.NaN;
  return Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1));
}

/** t = (x̄_t − x̄_c)/√(s_t²/n_t + s_c²/n_c); undefined (NaN) with fewer than 2 per arm or no variance. */
export function welchTTest(control: Moments, treatment: Moments): WelchTest {
  const difference = mean(treatment) - mean(control);
  const a = sampleVariance(treatment) / treatment.n;
  const b = sampleVariance(control) / control.n;
  const se = Math.sqrt(a + b);
  if (!Number.isFinite(se) || se === 0) return { difference, t: Number.NaN, df: Number.NaN, pValue: Number.NaN };
  const t = difference / se;
  const df = ((a + b) * (a + b)) / ((a * a) / (treatment.n - 1) + (b * b) / (control.n - 1));
  return { difference, t, df, pValue: studentTTwoSided(t, df) };
}
