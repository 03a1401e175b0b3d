/**
 * Sample-ratio mismatch: Pearson's chi-square goodness-of-fit test of the visitors each experience
 * received against the configured traffic split. A tiny p-value means assignment or counting is
 * broken, and the test's other numbers should not be trusted.
 *
 * @example
 *   sampleRatioMismatch([5100, 4900], [0.5, 0.5]).pValue; // ≈ 0.0455
 */
import { chiSquareSurvival } from './distributions.ts';

/** The p-value under which a mismatch is reported (the usual threshold for SRM checks). */
export const SRM_THRESHOLD = 0.001;

export interface SrmTest {
  chiSquare: number;
  df: number;
  pValue: number;
  /** Expected visitors per experience under the configured split. */
  expected: number[];
  mismatch: boolean;
}

/** `observed[i]` visitors against `shares[i]` of traffic (shares need not sum to 1; zero shares are left out). */
export function sampleRatioMismatch(observed: readonly number[], shares: readonly number[]): SrmTest {
  const total = observed.reduce((a, b) => a + b, 0);
  const shareSum = shares.reduce((a, b) => a + b, 0);
  const expected = shares.map((s) => (shareSum > 0 ? (total * s) / shareSum : 0));
  let chiSquare = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    if (expected[i] <= 0) continue;
    cells++;
    chiSquare += ((observed[i] - expected[i]) * (observed[i] - expected[i])) / expected[i];
  }
  const df = cells - 1;
  if (df < 1 || total === 0) return { chiSquare: 0, df: Math.max(0, df), pValue: 1, expected, mismatch: false };
  const pValue = chiSquareSurvival(chiSquare, df);
  return { chiSquare, df, pValue, expected, mismatch: pValue < SRM_THRESHOLD };
}
