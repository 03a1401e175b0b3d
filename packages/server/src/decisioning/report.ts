/**
 * Activity reports: per experience the visitors, impressions, conversions and revenue, the
 * conversion rate, lift over the control with its 95% interval, the z-test p-value, the chance to
 * beat the control, Welch's test on revenue per visitor, a sample-ratio-mismatch check against the
 * configured split, and the same per audience. Pure: built from the store's totals.
 *
 * @example
 *   const report = buildReport({ activity, totals, audienceTotals, daily, now: Date.now() });
 *   reportCsv(report);
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Activity, Allocation } from './model.ts';
import { Allocation as AllocationSchema } from './model.ts';
import { chanceToBeat, conversionRate, relativeLift, sampleRatioMismatch, twoProportionZTest, welchTTest, SRM_THRESHOLD } from './stats/index.ts';
import type { AudienceTotals, DailyTotals, ExperienceTotals } from './store.ts';

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ExperienceReport = Type.Object({
  id: Type.String(),
  name: Type.String(),
  control: Type.Boolean(),
  visitors: Type.Integer(),
  impressions: Type.Integer(),
  conversions: Type.Integer(),
  convertedVisitors: Type.Integer(),
  revenue: Type.Number(),
  conversionRate: Type.Number({ description: 'converted visitors / visitors' }),
  revenuePerVisitor: Type.Number(),
  lift: Type.Union([Type.Object({ value: Type.Number(), lower: Type.Number(), upper: Type.Number() }), Type.Null()], {
    description: 'relative lift of the conversion rate over the control, 95% delta-method interval; null for the control or a zero control rate',
  }),
  pValue: Nullable(Type.Number({ description: 'two-proportion z-test against the control, two-sided' })),
  chanceToBeatControl: Nullable(Type.Number({ description: 'P(rate > control rate) under Beta(1,1) priors' })),
  revenueTest: Type.Union([Type.Object({ difference: Type.Number(), t: Type.Number(), df: Type.Number(), pValue: Type.Number() }), Type.Null()], {
    description: "Welch's t-test on revenue per visitor against the control",
  }),
});
export type ExperienceReport = Static<typeof ExperienceReport>;

export const ActivityReport = Type.Object({
  activity: Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), status: Type.String() }),
  generatedAt: Type.String({ format: 'date-time' }),
  controlExperienceId: Type.String(),
  confidenceLevel: Type.Number(),
  experiences: Type.Array(ExperienceReport),
  sampleRatio: Type.Union([
    Type.Object({
      chiSquare: Type.Number(),
      df: Type.Integer(),
      pValue: Type.Number(),
      expectedVisitors: Type.Array(Type.Number()),
      mismatch: Type.Boolean({ description: `p below ${SRM_THRESHOLD}` }),
    }),
    Type.Null(),
  ], { description: 'A/B tests only: the visitors against the configured traffic split' }),
  warnings: Type.Array(Type.String()),
  byAudience: Type.Array(Type.Object({ audienceId: Type.String(), experiences: Type.Array(ExperienceReport) })),
  daily: Type.Array(Type.Object({ day: Type.String(), experienceId: Type.String(), visitors: Type.Integer(), impressions: Type.Integer(), conversions: Type.Integer(), revenue: Type.Number() })),
  allocation: Type.Optional(AllocationSchema),
});
export type ActivityReport = Static<typeof ActivityReport>;

const finiteOrNull = (n: number) => (Number.isFinite(n) ? n : null);

const EMPTY: Omit<ExperienceTotals, 'experienceId'> = { visitors: 0, impressions: 0, conversions: 0, convertedVisitors: 0, revenue: 0, revenueSquares: 0 };

/** The control: the experience marked control, else the first one. */
export function controlOf(activity: Activity): string {
  return (activity.experiences.find((e) => e.control) ?? activity.experiences[0]).id;
}

function experienceRows(activity: Activity, totals: readonly ExperienceTotals[]): ExperienceReport[] {
  const byId = new Map(totals.map((t) => [t.experienceId, t]));
  const controlId = controlOf(activity);
  const control = { ...EMPTY, ...byId.get(controlId) };
  const controlProportion = { visitors: control.visitors, conversions: control.convertedVisitors };
  const controlMoments = { n: control.visitors, sum: control.revenue, sumSquares: control.revenueSquares };
  return activity.experiences.map((experience) => {
    const t = { ...EMPTY, ...byId.get(experience.id) };
    const proportion = { visitors: t.visitors, conversions: t.convertedVisitors };
    const isControl = experience.id === controlId;
    const compared = !isControl && t.visitors > 0 && control.visitors > 0;
    const lift = compared ? relativeLift(controlProportion, proportion) : undefined;
    const z = compared ? twoProportionZTest(controlProportion, proportion) : undefined;
    const welch = compared ? welchTTest(controlMoments, { n: t.visitors, sum: t.revenue, sumSquares: t.revenueSquares }) : undefined;
    return {
      id: experience.id,
      name: experience.name,
      control: isControl,
      visitors: t.visitors,
      impressions: t.impressions,
      conversions: t.conversions,
      convertedVisitors: t.convertedVisitors,
      revenue: t.revenue,
      conversionRate: conversionRate(proportion),
      revenuePerVisitor: t.visitors > 0 ? t.revenue / t.visitors : 0,
      lift: lift && Number.isFinite(lift.lower) ? lift : null,
      pValue: z ? finiteOrNull(z.pValue) : null,
      chanceToBeatControl: compared ? chanceToBeat(controlProportion, proportion) : null,
      revenueTest: welch && Number.isFinite(welch.pValue) ? welch : null,
    };
  });
}

export interface ReportInput {
  activity: Activity;
  totals: readonly ExperienceTotals[];
  audienceTotals: readonly AudienceTotals[];
  daily: readonly DailyTotals[];
  allocation?: Allocation;
  now: number;
}

export function buildReport(input: ReportInput): ActivityReport {
  const { activity } = input;
  const experiences = experienceRows(activity, input.totals);
  const warnings: string[] = [];
  let sampleRatio: ActivityReport['sampleRatio'] = null;
  if (activity.type === 'ab' && experiences.some((e) => e.visitors > 0)) {
    const srm = sampleRatioMismatch(experiences.map((e) => e.visitors), activity.experiences.map((e) => e.traffic ?? 0));
    sampleRatio = { chiSquare: srm.chiSquare, df: srm.df, pValue: srm.pValue, expectedVisitors: srm.expected, mismatch: srm.mismatch };
    if (srm.mismatch) {
      warnings.push(
        `sample ratio mismatch: visitors ${experiences.map((e) => e.visitors).join('/')} against a ${activity.experiences.map((e) => e.traffic ?? 0).join('/')} split (chi-square p = ${srm.pValue.toExponential(2)}); assignment or counting is broken, do not trust the results`,
      );
    }
  }
  const audiences = [...new Set(input.audienceTotals.map((t) => t.audienceId))];
  const byAudience = audiences.map((audienceId) => ({
    audienceId,
    experiences: experienceRows(activity, input.audienceTotals.filter((t) => t.audienceId === audienceId)),
  }));
  return {
    activity: { id: activity.id, name: activity.name, type: activity.type, status: activity.status },
    generatedAt: new Date(input.now).toISOString(),
    controlExperienceId: controlOf(activity),
    confidenceLevel: 0.95,
    experiences,
    sampleRatio,
    warnings,
    byAudience,
    daily: [...input.daily],
    ...(input.allocation ? { allocation: input.allocation } : {}),
  };
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const CSV_COLUMNS = [
  'audience', 'experience_id', 'experience_name', 'control', 'visitors', 'impressions', 'conversions', 'converted_visitors', 'revenue',
  'conversion_rate', 'lift', 'lift_lower', 'lift_upper', 'p_value', 'chance_to_beat_control', 'revenue_per_visitor', 'revenue_p_value',
] as const;

/** One row per experience (audience `all`), then per audience × experience. */
export function reportCsv(report: ActivityReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  const emit = (audience: string, rows: readonly ExperienceReport[]) => {
    for (const e of rows) {
      lines.push(
        [audience, e.id, e.name, e.control, e.visitors, e.impressions, e.conversions, e.convertedVisitors, e.revenue, e.conversionRate,
          e.lift?.value ?? null, e.lift?.lower ?? null, e.lift?.upper ?? null, e.pValue, e.chanceToBeatControl, e.revenuePerVisitor, e.revenueTest?.pValue ?? null]
          .map(csvCell)
          .join(','),
      );
    }
  };
  emit('all', report.experiences);
  for (const group of report.byAudience) emit(group.audienceId, group.experiences);
  return `${lines.join('\n')}\n`;
}
