/**
 * Computed attributes in the commercial suite's shape: a PQL expression that aggregates the
 * profile's events (`xEvent[...]`), a merge function (count, sum, average, min, max, most recent,
 * top-N affinity) and a lookback `duration`. Values live on the profile at
 * `computedAttributes.<name>`, the same path PQL audiences read.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MERGE_FUNCTIONS = ['COUNT', 'SUM', 'AVERAGE', 'MIN', 'MAX', 'MOST_RECENT', 'TOP_N'] as const;
export type MergeFunctionName = (typeof MERGE_FUNCTIONS)[number];

export const DURATION_UNITS = ['HOURS', 'DAYS', 'WEEKS', 'MONTHS'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];

/** A month of lookback is 30 days: windows slide continuously, not by calendar month. */
export const UNIT_MS: Record<DurationUnit, number> = { HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 7 * 86_400_000, MONTHS: 30 * 86_400_000 };

/** The longest lookback window: 366 days. */
export const MAX_WINDOW_MS = 366 * 86_400_000;

/** Most values a TOP_N attribute keeps. */
export const MAX_TOP_N = 20;

/** At most this many computed attributes per sandbox. */
export const MAX_COMPUTED_ATTRIBUTES = 200;

const FunctionName = Type.Union(
  [Type.Literal('COUNT'), Type.Literal('SUM'), Type.Literal('AVERAGE'), Type.Literal('MIN'), Type.Literal('MAX'), Type.Literal('MOST_RECENT'), Type.Literal('TOP_N')],
  { description: 'inferred from .count()/.sum()/.average()/.min()/.max(); MOST_RECENT or TOP_N for a field of xEvent[...]' },
);
const Unit = Type.Union([Type.Literal('HOURS'), Type.Literal('DAYS'), Type.Literal('WEEKS'), Type.Literal('MONTHS')]);

export const ComputedExpression = Type.Object(
  {
    type: Type.Literal('PQL'),
    format: Type.Literal('pql/text'),
    value: Type.String({ minLength: 1, maxLength: 10_000, description: 'e.g. xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)' }),
  },
  { additionalProperties: false },
);

export const MergeFunction = Type.Object(
  {
    value: FunctionName,
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOP_N, description: 'TOP_N only: how many values to keep (default 1)' })),
  },
  { additionalProperties: false },
);
export type MergeFunction = Static<typeof MergeFunction>;

export const Duration = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 8784 }),
    unit: Unit,
  },
  { additionalProperties: false, description: 'the lookback window: only events this recent count (at most 366 days)' },
);
export type Duration = Static<typeof Duration>;

/** A valid identifier: the name is a path segment of the profile and of PQL. */
export const ATTRIBUTE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]{0,63}$';

const editable = {
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  expression: ComputedExpression,
  mergeFunction: Type.Optional(MergeFunction),
  duration: Duration,
};

export const ComputedAttributeInput = Type.Object(
  { name: Type.String({ pattern: ATTRIBUTE_NAME_PATTERN, description: 'an identifier; the value is at computedAttributes.<name>' }), ...editable },
  { additionalProperties: false },
);
export type ComputedAttributeInput = Static<typeof ComputedAttributeInput>;

/** What `/computed-attributes/validate` checks: the parts that make the value. */
export const ComputedAttributeCheck = Type.Object(
  { expression: ComputedExpression, mergeFunction: Type.Optional(MergeFunction), duration: Duration },
  { additionalProperties: false },
);
export type ComputedAttributeCheck = Static<typeof ComputedAttributeCheck>;

/** A PATCH changes anything but the name (audiences read the attribute by its name). */
export const ComputedAttributePatch = Type.Partial(Type.Object(editable, { additionalProperties: false }), { additionalProperties: false });
export type ComputedAttributePatch = Static<typeof ComputedAttributePatch>;

export const ComputedAttribute = Type.Object({
  id: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  description: Type.Optional(Type.String()),
  /** Where the value is on the merged profile and in PQL. */
  path: Type.String({ description: 'computedAttributes.<name>' }),
  expression: Type.Object({ type: Type.Literal('PQL'), format: Type.Literal('pql/text'), value: Type.String() }),
  mergeFunction: Type.Object({ value: FunctionName, n: Type.Optional(Type.Integer()) }),
  duration: Duration,
  sandbox: Type.Object({ sandboxId: Type.String(), sandboxName: Type.String() }),
  creationTime: Type.Integer({ description: 'epoch ms' }),
  updateTime: Type.Integer({ description: 'epoch ms' }),
  updateEpoch: Type.Integer({ description: 'epoch seconds' }),
});
export type ComputedAttribute = Static<typeof ComputedAttribute>;

/** One problem in a definition; `line`/`column`/`offset` point into the PQL text. */
export const DefinitionIssue = Type.Object({
  path: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
  offset: Type.Optional(Type.Integer()),
});
export type DefinitionIssue = Static<typeof DefinitionIssue>;

export function windowMs(duration: Duration): number {
  return duration.count * UNIT_MS[duration.unit];
}
