/**
 * Maps a schema's field tree to the typed columns of the lake: objects become STRUCTs, arrays
 * LISTs, open maps MAPs, date-times TIMESTAMPTZ, so `SELECT web.webPageDetails.name` just works.
 *
 * @example
 *   const columns = lakeColumns({ web: { type: 'object', properties: { name: { type: 'string' } } } });
 *   columns.map((c) => `${c.name} ${toSqlType(c.type)}`); // ['web STRUCT("name" VARCHAR)', '_seq BIGINT', ...]
 */
import type { FieldDefinition } from '../schema/model.ts';
import { quoteIdent } from './sql.ts';

export type LakeScalar = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMPTZ' | 'DATE' | 'JSON';

export type LakeType =
  | { kind: 'scalar'; scalar: LakeScalar }
  | { kind: 'struct'; fields: LakeColumn[] }
  | { kind: 'list'; items: LakeType }
  | { kind: 'map'; values: LakeType };

export interface LakeColumn {
  name: string;
  type: LakeType;
}

const scalar = (s: LakeScalar): LakeType => ({ kind: 'scalar', scalar: s });

/** Columns every lake file carries besides the schema's fields, in this order. */
export const SYSTEM_COLUMNS: readonly LakeColumn[] = [
  { name: '_seq', type: scalar('BIGINT') },
  { name: '_ingested_at', type: scalar('TIMESTAMPTZ') },
  { name: '_batch_id', type: scalar('VARCHAR') },
  /** The record time the record log partitions and expires by (its `timestamp`, else ingestion time). */
  { name: '_record_time', type: scalar('TIMESTAMPTZ') },
];
const SYSTEM_NAMES = new Set(SYSTEM_COLUMNS.map((c) => c.name));

/**
 * The lake type of one field definition.
 *
 * @example
 *   lakeTypeOf({ type: 'string', format: 'date-time' }); // { kind: 'scalar', scalar: 'TIMESTAMPTZ' }
 */
export function lakeTypeOf(def: FieldDefinition): LakeType {
  switch (def.type) {
    case 'string':
      return scalar(def.format === 'date-time' ? 'TIMESTAMPTZ' : def.format === 'date' ? 'DATE' : 'VARCHAR');
    case 'number':
      return scalar('DOUBLE');
    case 'integer':
      return scalar('BIGINT');
    case 'boolean':
      return scalar('BOOLEAN');
    case 'array':
      return def.items ? { kind: 'list', items: lakeTypeOf(def.items) } : scalar('JSON');
    case 'object': {
      const fields = Object.entries(def.properties ?? {});
      // An open map with fixed properties too, or an object with no fields at all, has no struct shape.
      if (def.additionalProperties && fields.length === 0) return { kind: 'map', values: lakeTypeOf(def.additionalProperties) };
      if (def.additionalProperties || fields.length === 0) return scalar('JSON');
      return { kind: 'struct', fields: fields.map(([name, child]) => ({ name, type: lakeTypeOf(child) })) };
    }
  }
}

/**
 * The top-level columns of a dataset: one per field of the schema tree, then the system columns.
 * A schema field named like a system column is left out (the system column wins).
 */
export function lakeColumns(tree: Record<string, FieldDefinition>): LakeColumn[] {
  const fields = Object.entries(tree)
    .filter(([name]) => !SYSTEM_NAMES.has(name))
    .map(([name, def]) => ({ name, type: lakeTypeOf(def) }));
  return [...fields, ...SYSTEM_COLUMNS];
}

/**
 * The DuckDB type text of a lake type, with every struct field name quoted.
 *
 * @example
 *   toSqlType({ kind: 'map', values: { kind: 'scalar', scalar: 'BIGINT' } }); // 'MAP(VARCHAR, BIGINT)'
 */
export function toSqlType(type: LakeType): string {
  switch (type.kind) {
    case 'scalar':
      return type.scalar;
    case 'list':
      return `${toSqlType(type.items)}[]`;
    case 'map':
      return `MAP(VARCHAR, ${toSqlType(type.values)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${toSqlType(f.type)}`).join(', ')})`;
  }
}
