/** Statistics of tests, kept apart from the web app and tested against golden numbers. */
export { conversionRate, relativeLift, twoProportionZTest, type Lift, type Proportion, type ZTest } from './proportions.ts';
export { mean, sampleVariance, welchTTest, type Moments, type WelchTest } from './welch.ts';
export { chanceToBeat, probabilityBest } from './bayes.ts';
export { sampleRatioMismatch, SRM_THRESHOLD, type SrmTest } from './srm.ts';
export { chiSquareSurvival, normalCdf, normalQuantile, studentTTwoSided } from './distributions.ts';
export { seededRandom, betaDraw, type Random } from './prng.ts';
