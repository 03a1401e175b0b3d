/**
 * Bayesian view of conversion rates with uniform Beta(1, 1) priors: the posterior of an arm with
 * n visitors and x conversions is Beta(1 + x, 1 + n − x).
 * - `chanceToBeat`: P(p_treatment > p_control), exact (Evan Miller's closed form, summed over the
 *   arm with fewer terms), or a normal approximation of the two posteriors when both arms have more
 *   than 20,000 conversions (the exact sum grows with conversions; the approximation is then
 *   accurate to well under 0.1%).
 * - `probabilityBest`: P(each arm has the highest rate), by Monte Carlo with a seeded PRNG (no
 *   closed form past two arms); the auto-allocate bandit's Thompson sampling weights.
 *
 * @example
 *   chanceToBeat({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 }); // ≈ 0.983
 */
import { logBeta, normalCdf } from './distributions.ts';
import type { Proportion } from './proportions.ts';
import { betaDraw, seededRandom } from './prng.ts';

interface Posterior {
  alpha: number;
  beta: number;
}

function posterior(p: Proportion): Posterior {
  return { alpha: 1 + p.conversions, beta: 1 + p.visitors - p.conversions };
}

/** P(X_b > X_a) for X_a ~ Beta(a), X_b ~ Beta(b), integer alpha of b (Evan Miller 2015). */
function exactBetaGreater(a: Posterior, b: Posterior): number {
  let total = 0;
  const base = logBeta(a.alpha, a.beta);
  for (let i = 0; i < b.alpha; i++) {
    total += Math.exp(logBeta(a.alpha + i, a.beta + b.beta) - Math.log(b.beta + i) - logBeta(1 + i, b.beta) - base);
  }
  return Math.min(1, Math.max(0, total));
}

const EXACT_LIMIT = 20_000;

/** P(treatment's true rate > control's), from the Beta posteriors. */
export function chanceToBeat(control: Proportion, treatment: Proportion): number {
  const c = posterior(control);
  const t = posterior(treatment);
  if (t.alpha <= EXACT_LIMIT || c.alpha <= EXACT_LIMIT) {
    // The sum runs over the second argument's alpha; P(T > C) = 1 − P(C > T) for continuous posteriors.
    return t.alpha <= c.alpha ? exactBetaGreater(c, t) : 1 - exactBetaGreater(t, c);
  }
  const moments = (p: Posterior) => {
    const n = p.alpha + p.beta;
    return { mean: p.alpha / n, variance: (p.alpha * p.beta) / (n * n * (n + 1)) };
  };
  const mc = moments(c);
  const mt = moments(t);
  return normalCdf((mt.mean - mc.mean) / Math.sqrt(mc.variance + mt.variance));
}

/** P(each arm is the best), estimated from `draws` joint posterior draws with a seeded PRNG. */
export function probabilityBest(arms: readonly Proportion[], options: { draws?: number; seed?: number } = {}): number[] {
  const draws = options.draws ?? 10_000;
  const random = seededRandom(options.seed ?? 1);
  const posteriors = arms.map(posterior);
  const wins = new Array<number>(arms.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = -1;
    let bestValue = -1;
    for (let i = 0; i < posteriors.length; i++) {
      const value = betaDraw(random, posteriors[i].alpha, posteriors[i].beta);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    wins[best]++;
  }
  return wins.map((w) => w / draws);
}
