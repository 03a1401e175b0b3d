/**
 * Frequentist statistics of conversion rates: the rate, the two-proportion z-test, and the relative
 * lift of a treatment over the control with a 95% confidence interval by the delta method.
 *
 * @example
 *   twoProportionZTest({ visitors: 1000, conversions: 100 }, { visitors: 1000, conversions: 130 }).pValue; // ≈ 0.0337
 */
import { normalCdf, normalQuantile } from './distributions.ts';

export interface Proportion {
  visitors: number;
  conversions: number;
}

export function conversionRate(p: Proportion): number {
  return p.visitors > 0 ? p.conversions / p.visitors : 0;
}

export interface ZTest {
  z: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * Pooled two-proportion z-test of treatment against control:
 * z = (p_t − p_c) / √(p̂(1 − p̂)(1/n_t + 1/n_c)), p̂ = (x_t + x_c)/(n_t + n_c); p = 2(1 − Φ(|z|)).
 * Undefined (NaN) when either arm has no visitors or nobody/everybody converted.
 */
export function twoProportionZTest(control: Proportion, treatment: Proportion): ZTest {
  if (control.visitors === 0 || treatment.visitors === 0) return { z: Number.NaN, pValue: Number.NaN };
  const pooled = (control.conversions + treatment.conversions) / (control.visitors + treatment.visitors);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / control.visitors + 1 / treatment.visitors));
  if (se === 0) return { z: Number.NaN, pValue: Number.NaN };
  const z = (conversionRate(treatment) - conversionRate(control)) / se;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

export interface Lift {
  /** Relative lift p_t / p_c − 1 (0.1 = 10% better). */
  value: number;
  lower: number;
  upper: number;
}

/**
 * Relative lift and its confidence interval by the delta method on the ratio of two independent
 * binomial proportions: Var(p_t/p_c) ≈ Var(p_t)/p_c² + p_t²·Var(p_c)/p_c⁴, Var(p) = p(1 − p)/n,
 * interval = lift ± z_{1−α/2}·√Var. Chosen over Fieller's interval because it always exists and
 * agrees with it once each arm has a few dozen conversions; undefined when the control rate is 0.
 */
export function relativeLift(control: Proportion, treatment: Proportion, confidence = 0.95): Lift | undefined {
  if (control.visitors === 0 || treatment.visitors === 0) return undefined;
  const pc = conversionRate(control);
  const pt = conversionRate(treatment);
  if (pc === 0) return undefined;
  const varT = (pt * (1 - pt)) / treatment.visitors;
  const varC = (pc * (1 - pc)) / control.visitors;
  const variance = varT / (pc * pc) + (pt * pt * varC) / (pc * pc * pc * pc);
  const half = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(variance);
  const value = pt / pc - 1;
  return { value, lower: value - half, upper: value + half };
}
