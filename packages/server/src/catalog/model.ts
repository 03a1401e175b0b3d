/** The catalog owns datasets: containers of records of one schema, with labels and retention. */
import { Type, type Static } from '@sinclair/typebox';
import { Label, SchemaClass } from '../schema/model.ts';

export const DatasetInput = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$', description: 'unique in the sandbox; also its table name in SQL' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    schemaId: Type.String({ minLength: 1, description: 'schema id or name' }),
    profileEnabled: Type.Optional(Type.Boolean({ default: false })),
    labels: Type.Optional(Type.Array(Label)),
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500, description: 'records older than this expire (event datasets: by timestamp)' })),
  },
  { additionalProperties: false },
);
export type DatasetInput = Static<typeof DatasetInput>;

export const DatasetPatch = Type.Partial(Type.Omit(DatasetInput, ['schemaId']), { additionalProperties: false });
export type DatasetPatch = Static<typeof DatasetPatch>;

export const Dataset = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  schemaId: Type.String(),
  class: SchemaClass,
  profileEnabled: Type.Boolean(),
  labels: Type.Array(Type.String()),
  retentionDays: Type.Optional(Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Dataset = Static<typeof Dataset>;
