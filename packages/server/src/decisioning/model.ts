/**
 * The decisioning model as TypeBox schemas (each schema is also the TypeScript type and the
 * OpenAPI description): offers (HTML, JSON, redirect, DOM actions, default content), activities
 * (A/B, experience targeting, auto-allocate) and the rule tree of audience and context conditions.
 */
import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

/** A union of string literals whose static type is exactly those strings. */
function literalUnion<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;
}

/* ----------------------------------------------------------------------------------------------
 * Offers
 * -------------------------------------------------------------------------------------------- */

export const DOM_ACTION_TYPES = ['setHtml', 'setText', 'setAttribute', 'setStyle', 'insertBefore', 'insertAfter', 'appendHtml', 'remove', 'redirect'] as const;

export const DomAction = Type.Object(
  {
    type: literalUnion(DOM_ACTION_TYPES),
    selector: Type.String({ minLength: 1, maxLength: 2000, description: 'CSS selector of the element the action changes' }),
    content: Type.Optional(Type.String({ maxLength: 100_000, description: 'HTML or text (setHtml, setText, insertBefore, insertAfter, appendHtml), attribute or style value (setAttribute, setStyle), URL (redirect)' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'attribute name (setAttribute) or CSS property (setStyle)' })),
  },
  { additionalProperties: false },
);
export type DomAction = Static<typeof DomAction>;

export const OfferContent = Type.Union(
  [
    Type.Object({ type: Type.Literal('html'), html: Type.String({ maxLength: 200_000 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('json'), json: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())]) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('redirect'), url: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('dom-actions'), actions: Type.Array(DomAction, { minItems: 1, maxItems: 300 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('default') }, { additionalProperties: false, description: "the page's own default content (control experiences)" }),
  ],
  { description: 'what the offer shows; `type` selects the shape' },
);
export type OfferContent = Static<typeof OfferContent>;

export const OfferInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    content: OfferContent,
  },
  { additionalProperties: false },
);
export type OfferInput = Static<typeof OfferInput>;

export const Offer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  content: OfferContent,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Offer = Static<typeof Offer>;

/* ----------------------------------------------------------------------------------------------
 * Conditions: a small typed rule tree over audiences, the request context and profile attributes
 * -------------------------------------------------------------------------------------------- */

export const STRING_OPERATORS = ['equals', 'notEquals', 'contains', 'startsWith', 'endsWith', 'regex', 'exists'] as const;
export const StringOperator = literalUnion(STRING_OPERATORS);
export type StringOperator = Static<typeof StringOperator>;

const StringMatch = {
  operator: StringOperator,
  value: Type.Optional(Type.String({ maxLength: 2000, description: 'not needed for `exists`' })),
  caseSensitive: Type.Optional(Type.Boolean({ description: 'default false' })),
};

export const VALUE_OPERATORS = ['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'exists'] as const;

export const DEVICE_TYPES = ['desktop', 'mobile', 'tablet', 'other'] as const;

/** A condition; `all`/`any`/`not` combine others. */
export const Condition = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object({ type: Type.Literal('all'), conditions: Type.Array(Self, { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('any'), conditions: Type.Array(Self, { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('not'), condition: Self }, { additionalProperties: false }),
      Type.Object(
        { type: Type.Literal('audience'), audienceId: Type.String({ minLength: 1, maxLength: 200, description: 'a Meridian audience; true when the profile is realized or existing in it' }) },
        { additionalProperties: false },
      ),
      Type.Object({ type: Type.Literal('url'), ...StringMatch }, { additionalProperties: false, description: 'the page URL' }),
      Type.Object({ type: Type.Literal('referrer'), ...StringMatch }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('queryParam'), name: Type.String({ minLength: 1, maxLength: 200 }), ...StringMatch }, { additionalProperties: false, description: 'a query parameter of the page URL' }),
      Type.Object({ type: Type.Literal('param'), name: Type.String({ minLength: 1, maxLength: 200 }), ...StringMatch }, { additionalProperties: false, description: 'a scope (mbox) parameter sent with the request' }),
      Type.Object({ type: Type.Literal('deviceType'), in: Type.Array(literalUnion(DEVICE_TYPES), { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('browser'), in: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1 }) }, { additionalProperties: false, description: 'browser name, case-insensitive (chrome, firefox, safari, edge, …)' }),
      Type.Object({ type: Type.Literal('os'), in: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1 }) }, { additionalProperties: false, description: 'operating system, case-insensitive (windows, macos, ios, android, linux, …)' }),
      Type.Object(
        {
          type: Type.Literal('timeOfDay'),
          from: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, inclusive' }),
          to: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, exclusive; before `from` means the window crosses midnight' }),
          timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'IANA zone, default UTC' })),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('dayOfWeek'),
          days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, description: '1 = Monday … 7 = Sunday (as Target)' }),
          timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('geo'),
          field: Type.Union([Type.Literal('country'), Type.Literal('region'), Type.Literal('city')]),
          in: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1 }),
        },
        { additionalProperties: false, description: 'false when the request carries no geo' },
      ),
      Type.Object(
        {
          type: Type.Literal('profile'),
          path: Type.String({ minLength: 1, maxLength: 500, description: 'dot path in the profile attributes, e.g. loyalty.tier' }),
          operator: literalUnion(VALUE_OPERATORS),
          value: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: false },
      ),
    ]),
  { $id: 'DecisioningCondition' },
);
export type Condition = Static<typeof Condition>;
/**
 * Where other schemas use a condition. The recursive schema is registered once with the HTTP
 * server (`addSchema(Condition)`), since a schema `$id` may exist only once per validator.
 */
export const ConditionRef = Type.Unsafe<Condition>(Type.Ref('DecisioningCondition'));

/* ----------------------------------------------------------------------------------------------
 * Activities
 * -------------------------------------------------------------------------------------------- */

export const ACTIVITY_TYPES = ['ab', 'xt', 'auto-allocate'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];
export const ACTIVITY_STATUSES = ['draft', 'live', 'paused', 'archived'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

/** The page-wide scope (Target's global mbox / page load), as the Web SDK names it. */
export const PAGE_SCOPE = '__view__';

export const UrlRule = Type.Object(
  {
    operator: Type.Union([Type.Literal('equals'), Type.Literal('contains'), Type.Literal('startsWith'), Type.Literal('regex')]),
    value: Type.String({ minLength: 1, maxLength: 2000 }),
    caseSensitive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UrlRule = Static<typeof UrlRule>;

export const Location = Type.Object(
  {
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 250 }), { maxItems: 50, description: `decision scopes / mbox names; "${PAGE_SCOPE}" is the page load` })),
    urls: Type.Optional(Type.Array(UrlRule, { maxItems: 50, description: 'page URL rules; any one must match. With no scopes, the activity answers the page scope' })),
  },
  { additionalProperties: false },
);
export type Location = Static<typeof Location>;

export const Experience = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'local to the activity, e.g. "A"' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    offerIds: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 350 }),
    control: Type.Optional(Type.Boolean({ description: 'the baseline of lift and significance (exactly one in an A/B test)' })),
    traffic: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'percent of entrants (A/B); the experiences must add up to 100' })),
    audience: Type.Optional(ConditionRef),
  },
  { additionalProperties: false },
);
export type Experience = Static<typeof Experience>;

export const Metric = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('event'),
        eventType: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. commerce.purchases' }),
        revenueField: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'dot path of the revenue in the event, e.g. commerce.order.priceTotal' })),
      },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('click') }, { additionalProperties: false, description: 'a click on the activity content' }),
  ],
  { description: 'what counts as a conversion' },
);
export type Metric = Static<typeof Metric>;

export const AutoAllocateSettings = Type.Object(
  {
    explorationShare: Type.Optional(Type.Number({ minimum: 0.1, maximum: 1, description: 'share of traffic always split evenly (default 0.2)' })),
    warmupVisitors: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'even split until every experience has this many visitors (default 100)' })),
  },
  { additionalProperties: false },
);
export type AutoAllocateSettings = Static<typeof AutoAllocateSettings>;

export const ActivityInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 250 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    type: literalUnion(ACTIVITY_TYPES),
    status: Type.Optional(literalUnion(ACTIVITY_STATUSES, { description: 'default draft' })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 999, description: 'higher wins a scope two activities both match; default 0' })),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    location: Location,
    audience: Type.Optional(ConditionRef),
    experiences: Type.Array(Experience, { minItems: 1, maxItems: 30 }),
    fallbackExperienceId: Type.Optional(Type.String({ description: 'xt: the experience of visitors no rule matches; without it they get nothing' })),
    holdoutPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'entrants who get no experience (and are not counted); default 0' })),
    metric: Metric,
    autoAllocate: Type.Optional(AutoAllocateSettings),
  },
  { additionalProperties: false },
);
export type ActivityInput = Static<typeof ActivityInput>;

export const Activity = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  type: literalUnion(ACTIVITY_TYPES),
  status: literalUnion(ACTIVITY_STATUSES),
  priority: Type.Integer(),
  startsAt: Type.Optional(Type.String({ format: 'date-time' })),
  endsAt: Type.Optional(Type.String({ format: 'date-time' })),
  location: Location,
  audience: Type.Optional(ConditionRef),
  experiences: Type.Array(Experience),
  fallbackExperienceId: Type.Optional(Type.String()),
  holdoutPercent: Type.Number(),
  metric: Metric,
  autoAllocate: Type.Optional(AutoAllocateSettings),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Activity = Static<typeof Activity>;

/** Auto-allocate traffic shares, recomputed from recorded statistics each allocation epoch. */
export const Allocation = Type.Object({
  epoch: Type.Integer({ description: 'increases with every recomputation' }),
  computedAt: Type.String({ format: 'date-time' }),
  /** experience id → share of traffic (0..1, summing to 1). */
  shares: Type.Record(Type.String(), Type.Number()),
  /** experience id → posterior probability of being the best (Thompson sampling). */
  probabilityBest: Type.Record(Type.String(), Type.Number()),
  warmup: Type.Boolean({ description: 'true while some experience has fewer visitors than the warm-up' }),
});
export type Allocation = Static<typeof Allocation>;
