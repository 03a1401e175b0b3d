/**
 * The schema domain: classes (`profile`, `event`), standard field groups, custom fields as JSON
 * Schema, identity descriptors and data-usage labels per field.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const SchemaClass = Type.Union([Type.Literal('profile'), Type.Literal('event')]);
export type SchemaClass = Static<typeof SchemaClass>;

/**
 * Names JavaScript gives a meaning on every object: a field so named could reach an object's
 * prototype wherever records are built from paths, so no schema may define one.
 */
export const RESERVED_FIELD_NAMES = ['__proto__', 'constructor', 'prototype'] as const;
const NOT_RESERVED = `(?!(?:${RESERVED_FIELD_NAMES.join('|')})(?:\\.|$))`;
/** One field name: a letter or `_`, then letters, digits and `_`; not a reserved name. */
const FIELD_NAME_PATTERN = `^${NOT_RESERVED}[A-Za-z_][A-Za-z0-9_]*$`;

/** A dot path into a record, e.g. `personalEmail.address` or `productListItems.SKU` (arrays are transparent). */
export const FieldPath = Type.String({
  pattern: `^${NOT_RESERVED}[A-Za-z_][A-Za-z0-9_]*(\\.${NOT_RESERVED}[A-Za-z_][A-Za-z0-9_]*)*$`,
  maxLength: 512,
});

export const IdentityDescriptor = Type.Object({
  path: FieldPath,
  namespace: Type.String({ minLength: 1, maxLength: 64, description: 'identity namespace code, e.g. Email, CRMID, ECID' }),
  primary: Type.Optional(Type.Boolean()),
});
export type IdentityDescriptor = Static<typeof IdentityDescriptor>;

/** Data-usage label: C1–C12, I1–I2, S1–S2 or a custom label. */
export const Label = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$' });

/**
 * A field definition: a restricted JSON Schema. Objects nest through `properties`, arrays through
 * `items`. Anything not listed is refused, so every schema can be typed in the lake and in PQL.
 */
export interface FieldDefinition {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  title?: string;
  description?: string;
  format?: 'date' | 'date-time' | 'email' | 'uri';
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, FieldDefinition>;
  required?: string[];
  items?: FieldDefinition;
  /** Objects only: an open map (`{ key: value-definition }`) instead of fixed properties. */
  additionalProperties?: FieldDefinition;
}

export const FieldDefinitionSchema: TSchema = Type.Recursive(
  (This) =>
    Type.Object(
      {
        type: Type.Union(['string', 'number', 'integer', 'boolean', 'object', 'array'].map((t) => Type.Literal(t))),
        title: Type.Optional(Type.String({ maxLength: 200 })),
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        format: Type.Optional(Type.Union(['date', 'date-time', 'email', 'uri'].map((f) => Type.Literal(f)))),
        enum: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1 })),
        minimum: Type.Optional(Type.Number()),
        maximum: Type.Optional(Type.Number()),
        minLength: Type.Optional(Type.Integer({ minimum: 0 })),
        maxLength: Type.Optional(Type.Integer({ minimum: 0 })),
        pattern: Type.Optional(Type.String({ maxLength: 500 })),
        properties: Type.Optional(Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), This, { additionalProperties: false })),
        required: Type.Optional(Type.Array(Type.String())),
        items: Type.Optional(This),
        additionalProperties: Type.Optional(This),
      },
      { additionalProperties: false },
    ),
  { $id: 'FieldDefinition' },
);

export const SchemaInput = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,99}$', description: 'unique in the sandbox' }),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    class: SchemaClass,
    fieldGroups: Type.Optional(Type.Array(Type.String(), { description: 'standard field groups, see GET /api/v1/schemas/field-groups' })),
    fields: Type.Optional(Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), FieldDefinitionSchema, { description: 'custom fields', additionalProperties: false })),
    required: Type.Optional(Type.Array(FieldPath, { description: 'dot paths that every record must carry' })),
    identities: Type.Optional(Type.Array(IdentityDescriptor)),
    labels: Type.Optional(Type.Record(Type.String(), Type.Array(Label), { description: 'field path → data-usage labels' })),
  },
  { additionalProperties: false },
);
export type SchemaInput = Static<typeof SchemaInput>;

export const SchemaDoc = Type.Object({
  id: Type.String(),
  name: Type.String(),
  title: Type.String(),
  description: Type.Optional(Type.String()),
  class: SchemaClass,
  fieldGroups: Type.Array(Type.String()),
  fields: Type.Record(Type.String(), FieldDefinitionSchema),
  required: Type.Array(Type.String()),
  identities: Type.Array(IdentityDescriptor),
  labels: Type.Record(Type.String(), Type.Array(Type.String())),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export interface SchemaDoc extends Omit<Static<typeof SchemaDoc>, 'fields'> {
  fields: Record<string, FieldDefinition>;
}
