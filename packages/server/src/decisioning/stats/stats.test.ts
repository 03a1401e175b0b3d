/**
 * Golden numbers for the test statistics. Every expected value below was computed with SciPy 1.17.1
 * (scipy.stats: norm, t, chi2, chisquare, ttest_ind(equal_var=False), and for the chance to beat
 * control the numerical integral ∫ f_T(x)·F_C(x) dx of the Beta posteriors with scipy.integrate.quad),
 * or, for the delta-method lift interval, by hand from the formula in proportions.ts with
 * scipy.stats.norm.ppf(0.975) — see each test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chanceToBeat,
  chiSquareSurvival,
  normalCdf,
  normalQuantile,
  probabilityBest,
  relativeLift,
  sampleRatioMismatch,
  seededRandom,
  studentTTwoSided,
  twoProportionZTest,
  welchTTest,
  betaDraw,
} from './index.ts';

function close(actual: number, expected: number, tolerance: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

test('the normal CDF and its inverse match scipy.stats.norm to 1e-12', () => {
  close(normalCdf(1.959963984540054), 0.975, 1e-12, 'Φ(1.96)');
  close(normalCdf(-3.5), 0.00023262907903552502, 1e-14, 'Φ(-3.5)');
  close(normalCdf(0.3), 0.6179114221889526, 1e-12, 'Φ(0.3)');
  close(normalQuantile(0.975), 1.959963984540054, 1e-10, 'Φ⁻¹(0.975)');
  close(normalQuantile(0.001), -3.090232306167813, 1e-10, 'Φ⁻¹(0.001)');
  close(normalQuantile(0.6), 0.2533471031357997, 1e-10, 'Φ⁻¹(0.6)');
});

test("Student's t and chi-square tails match scipy.stats.t.sf and chi2.sf", () => {
  close(studentTTwoSided(2.228138851986274, 10), 0.05, 1e-12, 't(10) two-sided at the 5% critical value');
  close(studentTTwoSided(1.5, 3.7), 0.2135981692020135, 1e-10, 't(3.7) at 1.5, fractional df');
  close(studentTTwoSided(4.2, 57.3), 9.427753052112709e-5, 1e-12, 't(57.3) at 4.2');
  close(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-12, 'χ²(1) at the 5% critical value');
  close(chiSquareSurvival(5.991464547107979, 2), 0.05, 1e-12, 'χ²(2) at the 5% critical value');
  close(chiSquareSurvival(30, 4), 4.894437128029217e-6, 1e-13, 'χ²(4) at 30');
  close(chiSquareSurvival(0.5, 3), 0.9188914116546758, 1e-12, 'χ²(3) at 0.5');
});

test('the two-proportion z-test gives the pooled z and two-sided p-value', () => {
  // z = (0.13 − 0.10)/√(0.115·0.885·(2/1000)) computed with scipy.stats.norm.sf for p.
  const up = twoProportionZTest({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 });
  close(up.z, 2.102740605622114, 1e-12, 'z');
  close(up.pValue, 0.03548845046647471, 1e-12, 'p');
  const down = twoProportionZTest({ visitors: 5000, conversions: 250 }, { visitors: 4800, conversions: 200 });
  close(down.z, -1.9702682109634966, 1e-12, 'z (worse treatment)');
  close(down.pValue, 0.048807639671378474, 1e-12, 'p (worse treatment)');
  assert.ok(Number.isNaN(twoProportionZTest({ visitors: 0, conversions: 0 }, { visitors: 10, conversions: 1 }).pValue), 'no visitors: no test');
});

test('relative lift and its delta-method 95% interval', () => {
  // By hand: lift = 0.13/0.10 − 1 = 0.3; Var = 0.13·0.87/1000/0.01 + 0.0169·(0.1·0.9/1000)/0.0001
  // = 0.01131 + 0.01521 = 0.02652; half-width = 1.959964·√0.02652 = 0.3191794.
  const lift = relativeLift({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 });
  assert.ok(lift);
  close(lift.value, 0.3, 1e-12, 'lift');
  close(lift.lower, -0.01917939771358701, 1e-9, 'lower');
  close(lift.upper, 0.6191793977135871, 1e-9, 'upper');
  assert.equal(relativeLift({ visitors: 100, conversions: 0 }, { visitors: 100, conversions: 5 }), undefined, 'no lift over a zero control rate');
});

test("Welch's t-test from sums and sums of squares matches scipy.stats.ttest_ind(equal_var=False)", () => {
  // Data: two exponential samples (numpy default_rng(7), rounded to cents); scipy on the raw
  // arrays gave t = 1.8234453896788707, df = 65.37776756507262, p = 0.0728076533277884.
  const control = { n: 40, sum: 738.34, sumSquares: 25904.729 };
  const treatment = { n: 35, sum: 942.82, sumSquares: 41764.9178 };
  const result = welchTTest(control, treatment);
  close(result.t, 1.8234453896788707, 1e-9, 't');
  close(result.df, 65.37776756507262, 1e-7, 'df');
  close(result.pValue, 0.0728076533277884, 1e-9, 'p');
  assert.ok(Number.isNaN(welchTTest({ n: 1, sum: 5, sumSquares: 25 }, treatment).pValue), 'one visitor: no variance, no test');
});

test('chance to beat control is the exact Beta posterior probability', () => {
  // Reference: scipy.integrate.quad of Beta(1+x_t, 1+n_t−x_t).pdf · Beta(1+x_c, 1+n_c−x_c).cdf.
  close(chanceToBeat({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 }), 0.9821650661163506, 1e-9, '130 vs 100');
  close(chanceToBeat({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 95 }), 0.35349165483551354, 1e-9, '95 vs 100');
  close(chanceToBeat({ visitors: 40, conversions: 3 }, { visitors: 38, conversions: 7 }), 0.9181731624356858, 1e-9, 'small samples');
  close(chanceToBeat({ visitors: 200, conversions: 20 }, { visitors: 200, conversions: 20 }), 0.5, 1e-9, 'identical arms');
  // Past the exact limit (20,000 conversions per arm) the normal approximation is used; scipy's
  // integral for these arms is 0.8344607686201987.
  close(chanceToBeat({ visitors: 1_000_000, conversions: 50_000 }, { visitors: 1_000_000, conversions: 50_300 }), 0.8344607686201987, 1e-3, 'large arms');
});

test('Monte Carlo probability of being best agrees with the exact two-arm answer and is reproducible', () => {
  const arms = [{ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 }];
  const p = probabilityBest(arms, { draws: 40_000, seed: 7 });
  close(p[1], 0.9821650661163506, 0.004, 'P(arm 2 best) vs exact');
  close(p[0] + p[1], 1, 1e-12, 'probabilities sum to 1');
  assert.deepEqual(probabilityBest(arms, { draws: 2000, seed: 3 }), probabilityBest(arms, { draws: 2000, seed: 3 }), 'same seed, same answer');
  // The seeded Beta sampler has the right mean: Beta(3, 7) has mean 0.3.
  const random = seededRandom(11);
  let sum = 0;
  for (let i = 0; i < 20_000; i++) sum += betaDraw(random, 3, 7);
  close(sum / 20_000, 0.3, 0.005, 'Beta(3,7) sample mean');
});

test('sample-ratio mismatch is the chi-square goodness of fit against the configured split', () => {
  // scipy.stats.chisquare([5100, 4900], [5000, 5000]) → statistic 4.0, p 0.04550026389635857.
  const mild = sampleRatioMismatch([5100, 4900], [50, 50]);
  close(mild.chiSquare, 4, 1e-12, 'χ²');
  close(mild.pValue, 0.04550026389635857, 1e-12, 'p');
  assert.equal(mild.mismatch, false, 'p = 0.045 is not below the 0.001 threshold');
  // scipy.stats.chisquare([5300, 4700], [5000, 5000]) → 36.0, p 1.9731752900753933e-09.
  const broken = sampleRatioMismatch([5300, 4700], [0.5, 0.5]);
  close(broken.pValue, 1.9731752900753933e-9, 1e-18, 'p of a broken split');
  assert.equal(broken.mismatch, true);
  // scipy.stats.chisquare([2000, 8200], [2040, 8160]) → 0.9803921568627451, p 0.32210200812889284.
  const uneven = sampleRatioMismatch([2000, 8200], [20, 80]);
  close(uneven.chiSquare, 0.9803921568627451, 1e-12, 'χ² for a 20/80 split');
  close(uneven.pValue, 0.32210200812889284, 1e-12, 'p for a 20/80 split');
  close(sampleRatioMismatch([3400, 3300, 3300], [1, 1, 1]).pValue, 0.36787944117144245, 1e-12, 'three arms');
});
