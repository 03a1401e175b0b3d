/**
 * Shapes a record from the log into one lake row: only the schema's fields, every value coerced
 * to its column type (or null), so DuckDB's typed JSON reader can never choke on a slice.
 *
 * @example
 *   const row = shapeRow(record, lakeColumns(tree));
 *   // { _id: 'e1', timestamp: '2026-11-01T10:00:00.000Z', web: { webPageDetails: { name: 'home' } }, _seq: 7, ... }
 */
import type { StoredRecord } from '../ingest/record-store.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import type { LakeColumn, LakeType } from './lake-types.ts';

const INT64_LIMIT = 2 ** 63;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function toTimestamp(value: JsonValue): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function toDate(value: JsonValue): string | null {
  if (typeof value !== 'string' || !DATE_PATTERN.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip.
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(value) ? value : null;
}

/**
 * One value coerced to a lake type; anything that does not fit becomes null.
 *
 * @example
 *   shapeValue('2026-11-01T12:00:00+02:00', { kind: 'scalar', scalar: 'TIMESTAMPTZ' }); // '2026-11-01T10:00:00.000Z'
 */
export function shapeValue(value: JsonValue | undefined, type: LakeType): JsonValue {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case 'struct': {
      if (!isJsonObject(value)) return null;
      const out: JsonObject = {};
      for (const field of type.fields) out[field.name] = shapeValue(value[field.name], field.type);
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((item) => shapeValue(item, type.items)) : null;
    case 'map': {
      if (!isJsonObject(value)) return null;
      const out: JsonObject = {};
      for (const [key, item] of Object.entries(value)) out[key] = shapeValue(item, type.values);
      return out;
    }
    case 'scalar':
      switch (type.scalar) {
        case 'JSON':
          return value;
        case 'VARCHAR':
          return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
        case 'DOUBLE':
          return typeof value === 'number' && Number.isFinite(value) ? value : null;
        case 'BIGINT':
          // Integers beyond int64 cannot be stored as BIGINT; null keeps the rest of the slice writable.
          return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < INT64_LIMIT ? value : null;
        case 'BOOLEAN':
          return typeof value === 'boolean' ? value : null;
        case 'TIMESTAMPTZ':
          return toTimestamp(value);
        case 'DATE':
          return toDate(value);
      }
  }
}

/** The lake row of one stored record: schema fields shaped by type, then the system columns. */
export function shapeRow(record: StoredRecord, columns: readonly LakeColumn[]): JsonObject {
  let body: JsonValue;
  try {
    body = JSON.parse(record.body) as JsonValue;
  } catch {
    body = null;
  }
  const fields = isJsonObject(body) ? body : {};
  const system: JsonObject = {
    _seq: record.seq,
    _ingested_at: new Date(record.ingestedAt).toISOString(),
    _batch_id: record.batchId ?? null,
    _record_time: new Date(record.timestamp).toISOString(),
  };
  const row: JsonObject = {};
  for (const column of columns) {
    row[column.name] = column.name in system ? system[column.name] : shapeValue(fields[column.name], column.type);
  }
  return row;
}
