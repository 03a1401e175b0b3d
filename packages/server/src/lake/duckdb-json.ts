/**
 * Turns DuckDB result values into plain JSON: 64-bit integers as numbers when exact (else strings),
 * timestamps as ISO 8601 strings, structs as objects, lists as arrays, VARCHAR-keyed maps as
 * objects, JSON columns parsed.
 *
 * @example
 *   duckValueToJson(timestampTZValue(1_767_225_600_000_000n), TIMESTAMPTZ); // '2026-01-01T00:00:00.000Z'
 */
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUnionValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { JsonObject, JsonValue } from '../storage/json.ts';

const MAX_DATE_MS = 8.64e15;

/** ISO 8601 from epoch microseconds; microseconds shown only when not a whole millisecond. */
export function isoFromMicros(micros: bigint, withZone: boolean): string | undefined {
  const ms = micros >= 0n ? micros / 1000n : (micros - 999n) / 1000n; // floor
  if (ms > BigInt(MAX_DATE_MS) || ms < -BigInt(MAX_DATE_MS)) return undefined;
  const extra = Number(micros - ms * 1000n);
  let iso = new Date(Number(ms)).toISOString();
  if (extra !== 0) iso = `${iso.slice(0, -1)}${String(extra).padStart(3, '0')}Z`;
  return withZone ? iso : iso.slice(0, -1);
}

function integerToJson(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}

function numberToJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function timestampToJson(value: DuckDBValue): JsonValue {
  if (value instanceof DuckDBTimestampTZValue) return (value.isFinite && isoFromMicros(value.micros, true)) || value.toString();
  if (value instanceof DuckDBTimestampValue) return (value.isFinite && isoFromMicros(value.micros, false)) || value.toString();
  if (value instanceof DuckDBTimestampMillisecondsValue) return (value.isFinite && isoFromMicros(value.millis * 1000n, false)) || value.toString();
  if (value instanceof DuckDBTimestampSecondsValue) return (value.isFinite && isoFromMicros(value.seconds * 1_000_000n, false)) || value.toString();
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.toString();
  return String(value);
}

/** One DuckDB value of `type` as JSON. */
export function duckValueToJson(value: DuckDBValue, type: DuckDBType): JsonValue {
  if (value === null) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return integerToJson(value);
  if (typeof value === 'number') return numberToJson(value);
  if (typeof value === 'string') {
    if (type.alias !== 'JSON') return value;
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
      return value instanceof DuckDBListValue ? value.items.map((item) => duckValueToJson(item, type.valueType)) : String(value);
    case DuckDBTypeId.ARRAY:
      return value instanceof DuckDBArrayValue ? value.items.map((item) => duckValueToJson(item, type.valueType)) : String(value);
    case DuckDBTypeId.STRUCT: {
      if (!(value instanceof DuckDBStructValue)) return String(value);
      const out: JsonObject = {};
      type.entryNames.forEach((name, i) => (out[name] = duckValueToJson(value.entries[name] ?? null, type.entryTypes[i])));
      return out;
    }
    case DuckDBTypeId.MAP: {
      if (!(value instanceof DuckDBMapValue)) return String(value);
      if (type.keyType.typeId === DuckDBTypeId.VARCHAR) {
        const out: JsonObject = {};
        for (const entry of value.entries) out[String(entry.key)] = duckValueToJson(entry.value, type.valueType);
        return out;
      }
      return value.entries.map((entry) => ({ key: duckValueToJson(entry.key, type.keyType), value: duckValueToJson(entry.value, type.valueType) }));
    }
    case DuckDBTypeId.UNION:
      return value instanceof DuckDBUnionValue ? duckValueToJson(value.value, type.memberTypeForTag(value.tag)) : String(value);
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? numberToJson(value.toDouble()) : String(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampToJson(value);
    default:
      // DATE (YYYY-MM-DD), TIME, INTERVAL, UUID, BLOB, BIT, ...: DuckDB's own text form.
      return String(value);
  }
}

/** The type name shown to clients: `JSON` for JSON columns, else DuckDB's type text. */
export function typeName(type: DuckDBType): string {
  return type.alias ?? type.toString();
}
