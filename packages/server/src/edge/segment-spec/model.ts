/**
 * Segment-spec sources: a write key bound to a sandbox, an event dataset and a profile dataset.
 * The key is shown once at creation and stored only as a SHA-256 hash, like API keys.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SourceInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    eventDatasetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'event dataset (id or name) whose schema holds the segment-event fields; default: segment_events, made if missing' })),
    profileDatasetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'profile-enabled profile dataset (id or name) whose schema holds the segment-profile fields; default: segment_profiles, made if missing' })),
  },
  { additionalProperties: false },
);
export type SourceInput = Static<typeof SourceInput>;

export const Source = Type.Object({
  id: Type.String(),
  sandbox: Type.String({ description: 'sandbox name' }),
  name: Type.String(),
  eventDatasetId: Type.String(),
  profileDatasetId: Type.String(),
  keyPrefix: Type.String({ description: 'first characters of the write key, to recognise it' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Source = Static<typeof Source>;

export const CreatedSource = Type.Intersect([Source, Type.Object({ writeKey: Type.String({ description: 'shown once; send it as Basic auth user name or as writeKey in the body' }) })]);
