/** The catalog owns datasets: containers of records of one schema, with labels and retention. */
import { Type, type Static } from '@sinclair/typebox';
import { Label, SchemaClass } from '../schema/model.ts';

const datasetFields = {
  name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$', description: 'unique in the sandbox; also its table name in SQL' }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  labels: Type.Optional(Type.Array(Label)),
  retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500, description: 'records older than this expire (event datasets: by timestamp)' })),
};

export const DatasetInput = Type.Object(
  {
    ...datasetFields,
    schemaId: Type.String({ minLength: 1, description: 'schema id or name' }),
    profileEnabled: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type DatasetInput = Static<typeof DatasetInput>;

/** A patch names only what changes: no defaults here, or a patch without `profileEnabled` would switch profiles off. */
export const DatasetPatch = Type.Partial(Type.Object({ ...datasetFields, profileEnabled: Type.Boolean() }), { additionalProperties: false });
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
