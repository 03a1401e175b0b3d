/**
 * What Segment-spec data needs from a sandbox: the `segment-event` and `segment-profile` schemas
 * (the standard XDM field groups plus a `_meridian.segment` block for what XDM has no place for),
 * and the custom identity namespace of anonymous ids. A source either gets datasets of these
 * schemas made for it, or names datasets whose schemas hold every field the mapping writes.
 */
import type { FieldDefinition, SchemaInput } from '../../schema/model.ts';
import { composeFields, fieldAt, leafFields } from '../../schema/compose.ts';

/** Custom namespace for Segment `anonymousId`s that are not ECIDs (type cookie, like a device cookie). */
export const ANONYMOUS_NAMESPACE = 'segment_anonymous_id';
/** `userId` goes to the standard cross-device namespace. */
export const USER_NAMESPACE = 'CRMID';

export const SEGMENT_EVENT_SCHEMA_NAME = 'segment-event';
export const SEGMENT_PROFILE_SCHEMA_NAME = 'segment-profile';
export const SEGMENT_EVENT_DATASET_NAME = 'segment_events';
export const SEGMENT_PROFILE_DATASET_NAME = 'segment_profiles';

const str = (maxLength = 1024): FieldDefinition => ({ type: 'string', maxLength });
/** Values of free-form Segment objects (properties, traits, context): strings as sent, anything else as its JSON text. */
const textMap = (description: string): FieldDefinition => ({ type: 'object', description, additionalProperties: { type: 'string' } });

const library: FieldDefinition = { type: 'object', properties: { name: str(200), version: str(100) } };

const eventBlock: FieldDefinition = {
  type: 'object',
  properties: {
    segment: {
      type: 'object',
      description: 'what the Segment message carried that XDM has no field for',
      properties: {
        type: { type: 'string', enum: ['track', 'page', 'screen', 'group'] },
        event: str(256),
        name: str(),
        category: str(),
        userId: str(),
        anonymousId: str(),
        groupId: str(),
        messageId: str(256),
        channel: str(100),
        properties: textMap('track/page/screen properties'),
        traits: textMap('group traits'),
        context: textMap('the message context, except context.traits'),
        library,
        receivedAt: { type: 'string', format: 'date-time' },
        sentAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};

const profileBlock: FieldDefinition = {
  type: 'object',
  properties: {
    segment: {
      type: 'object',
      description: 'identify/alias data that XDM profile field groups have no field for',
      properties: {
        type: { type: 'string', enum: ['identify', 'alias'] },
        userId: str(),
        anonymousId: str(),
        previousId: str(),
        messageId: str(256),
        traits: textMap('identify traits not mapped to XDM fields'),
        library,
      },
    },
  },
};

export const SEGMENT_EVENT_SCHEMA: SchemaInput = {
  name: SEGMENT_EVENT_SCHEMA_NAME,
  title: 'Segment tracking-spec events (track, page, screen, group)',
  class: 'event',
  fieldGroups: ['web', 'commerce', 'productListItems', 'environment', 'device', 'placeContext', 'marketing'],
  fields: { _meridian: eventBlock },
  labels: { 'environment.ipV4': ['I2'], 'environment.ipV6': ['I2'], 'placeContext.geo': ['S1'] },
};

export const SEGMENT_PROFILE_SCHEMA: SchemaInput = {
  name: SEGMENT_PROFILE_SCHEMA_NAME,
  title: 'Segment tracking-spec profiles (identify, alias)',
  class: 'profile',
  fieldGroups: ['person', 'contact'],
  fields: { _meridian: profileBlock },
  identities: [
    { path: 'personalEmail.address', namespace: 'Email' },
    { path: 'mobilePhone.number', namespace: 'Phone' },
  ],
  labels: { 'personalEmail.address': ['I1'], 'mobilePhone.number': ['I1'], 'person.birthDate': ['I2'], homeAddress: ['I2'] },
};

function requiredLeaves(schema: SchemaInput): string[] {
  const tree = composeFields({ class: schema.class, fieldGroups: schema.fieldGroups ?? [], fields: (schema.fields ?? {}) as Record<string, FieldDefinition>, required: [] });
  return leafFields(tree).map((leaf) => leaf.path);
}
const EVENT_LEAVES = requiredLeaves(SEGMENT_EVENT_SCHEMA);
const PROFILE_LEAVES = requiredLeaves(SEGMENT_PROFILE_SCHEMA);

/** Field paths the Segment mapping may write that a dataset's schema lacks (empty: it fits). */
export function missingSegmentFields(kind: 'event' | 'profile', tree: Record<string, FieldDefinition>): string[] {
  return (kind === 'event' ? EVENT_LEAVES : PROFILE_LEAVES).filter((path) => !fieldAt(tree, path));
}
