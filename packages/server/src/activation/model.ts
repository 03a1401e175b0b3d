/**
 * Destinations and activations as the API sees them. The schemas are the types: request
 * validation, OpenAPI and TypeScript agree by construction.
 */
import { Type, type Static } from '@sinclair/typebox';

export const DestinationInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ minLength: 1, maxLength: 100, description: 'webhook, file, ad-audience (GET /destinations/types lists them)' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    settings: Type.Record(Type.String(), Type.Unknown(), { description: 'validated against the type\'s settings schema (422 names the field)' }),
  },
  { additionalProperties: false },
);
export type DestinationInput = Static<typeof DestinationInput>;

export const Destination = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  description: Type.Optional(Type.String()),
  settings: Type.Record(Type.String(), Type.Unknown(), { description: 'secrets are shown as "********"' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Destination = Static<typeof Destination>;

export const Mapping = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 500, pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$', description: 'profile attribute path' }),
    destination: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.$-]+$', description: 'destination field' }),
  },
  { additionalProperties: false },
);

export const IdentitySelection = Type.Object(
  {
    namespace: Type.String({ minLength: 1, maxLength: 64, description: 'identity namespace of the profile, e.g. Email' }),
    hashed: Type.Optional(Type.Boolean({ description: 'default false (true where the destination requires hashing); send SHA-256 of the normalized value (Email → Email_LC_SHA256)' })),
  },
  { additionalProperties: false },
);
export type IdentitySelection = Static<typeof IdentitySelection>;

export const Schedule = Type.Union([
  Type.Object(
    {
      type: Type.Literal('streaming'),
      onAttributeChange: Type.Optional(Type.Boolean({ description: 'also export a member when its mapped attributes or identities change (default false)' })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('batch'),
      frequency: Type.Union([Type.Literal('once'), Type.Literal('hourly'), Type.Literal('everyNHours'), Type.Literal('daily')]),
      everyHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24, description: 'for everyNHours (e.g. 3, 6, 8, 12)' })),
      at: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'UTC time of day for daily; minute past the hour for the others' })),
      exportMode: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('firstFullThenIncremental')], { description: 'default full' })),
    },
    { additionalProperties: false },
  ),
]);
export type Schedule = Static<typeof Schedule>;

export const ActivationInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    destinationId: Type.String({ minLength: 1, maxLength: 200 }),
    audienceIds: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 250, uniqueItems: true }),
    mappings: Type.Optional(Type.Array(Mapping, { maxItems: 50, description: 'default: the destination type\'s mapping defaults' })),
    identities: Type.Optional(Type.Array(IdentitySelection, { maxItems: 10 })),
    schedule: Schedule,
    marketingActionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'checked by governance (ActivationGuard)' })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type ActivationInput = Static<typeof ActivationInput>;

/** One policy an activation violates, as the guard explains it (lineage: where each label came from). */
export const GuardViolation = Type.Object({
  policy: Type.String({ description: 'policy name' }),
  policyId: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Array(Type.String())),
  lineage: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'label, field, dataset, source, audienceId of each label that matched' })),
});
export type GuardViolation = Static<typeof GuardViolation>;

/** Why a saved activation is stopped at run time (governance changed since it was saved). */
export const ActivationBlock = Type.Object({
  reason: Type.String({ description: 'the violated policies explained: policy, marketing action, labels and the fields that carry them' }),
  blockedAt: Type.String({ format: 'date-time' }),
  violations: Type.Optional(Type.Array(GuardViolation)),
});
export type ActivationBlock = Static<typeof ActivationBlock>;

export const Activation = Type.Object({
  id: Type.String(),
  name: Type.String(),
  destinationId: Type.String(),
  destinationType: Type.String(),
  audienceIds: Type.Array(Type.String()),
  mappings: Type.Array(Mapping),
  identities: Type.Array(Type.Object({ namespace: Type.String(), hashed: Type.Boolean(), field: Type.String({ description: 'field name sent to the destination' }) })),
  schedule: Schedule,
  marketingActionId: Type.Optional(Type.String()),
  enabled: Type.Boolean(),
  status: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('disabled')], {
      description: 'blocked: governance refused the last run-time check; its outbox waits and it resumes by itself once the check passes',
    }),
  ),
  blocked: Type.Optional(ActivationBlock),
  sandboxName: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Activation = Static<typeof Activation>;

export const RunKind = Type.Union([Type.Literal('streaming'), Type.Literal('backfill'), Type.Literal('scheduled'), Type.Literal('manual'), Type.Literal('replay')]);
export type RunKind = Static<typeof RunKind>;
/** How a run ended, or `running`. */
export const RunStatus = Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('partial'), Type.Literal('failed')]);
export type RunStatus = Static<typeof RunStatus>;

export const Run = Type.Object({
  id: Type.String(),
  activationId: Type.String(),
  kind: RunKind,
  status: Type.Union([...RunStatus.anyOf, Type.Literal('blocked')], {
    description: '`blocked`: open, and held while governance refuses the activation (see `lastError`); it goes on by itself once allowed',
  }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  queued: Type.Integer({ description: 'events (or audience files) to deliver' }),
  delivered: Type.Integer(),
  failed: Type.Integer({ description: 'dead-lettered' }),
  retries: Type.Integer(),
  skippedConsent: Type.Integer({ description: 'profiles not sent because their consent denies the channel or the marketing action (or a general opt-out)' }),
  lastError: Type.Optional(Type.String()),
  lastErrorAt: Type.Optional(Type.String({ format: 'date-time' })),
  files: Type.Optional(Type.Array(Type.String())),
});
export type Run = Static<typeof Run>;

export const DeadLetter = Type.Object({
  id: Type.Integer(),
  activationId: Type.String(),
  runId: Type.String(),
  profileId: Type.String(),
  audienceId: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: Type.String(),
  deadAt: Type.String({ format: 'date-time' }),
});
export type DeadLetter = Static<typeof DeadLetter>;

export const ActivationStats = Type.Object({
  pending: Type.Integer({ description: 'events waiting in the outbox' }),
  deadLetters: Type.Integer(),
  delivered: Type.Integer({ description: 'events delivered over all runs' }),
  lastDeliveredAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastError: Type.Optional(Type.String()),
  lastErrorAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type ActivationStats = Static<typeof ActivationStats>;
