/**
 * Shapes a record from the log into one lake row: only the schema's fields, every value coerced
 * to its column type (or left out), so DuckDB's typed JSON reader can never choke on a slice.
 *
 * Rows are encoded straight to JSON text by an encoder compiled once per column list: a field the
 * record does not carry is simply not written (DuckDB reads an absent key as NULL), so a sparse
 * record against a wide schema costs what the record holds, not what the schema declares.
 *
 * @example
 *   const encode = rowEncoder(lakeColumns(tree));
 *   encode(storedRecord); // '{"_id":"e1","timestamp":"2026-11-01T10:00:00.000Z","_seq":7,...}'
 */
import type { RawStoredRecord, StoredRecord } from '../ingest/record-store.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import type { LakeColumn, LakeType } from './lake-types.ts';

const INT64_LIMIT = 2 ** 63;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** ISO-8601 UTC with milliseconds, exactly as `toISOString` writes it: already canonical. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function toTimestamp(value: JsonValue): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return CANONICAL_UTC.test(value) ? value : new Date(ms).toISOString();
}

function toDate(value: JsonValue): string | null {
  if (typeof value !== 'string' || !DATE_PATTERN.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip.
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(value) ? value : null;
}

/** Writes one value of a type as JSON text, or returns undefined when it does not fit (the key is then left out). */
type Encoder = (value: JsonValue) => string | undefined;

function scalarEncoder(scalar: Extract<LakeType, { kind: 'scalar' }>['scalar']): Encoder {
  switch (scalar) {
    case 'JSON':
      return (v) => JSON.stringify(v);
    case 'VARCHAR':
      return (v) => JSON.stringify(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
    case 'DOUBLE':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
    case 'BIGINT':
      // Integers beyond int64 cannot be stored as BIGINT; leaving them out keeps the slice writable.
      return (v) => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < INT64_LIMIT ? String(v) : undefined);
    case 'BOOLEAN':
      return (v) => (typeof v === 'boolean' ? String(v) : undefined);
    case 'TIMESTAMPTZ':
      return (v) => {
        const t = toTimestamp(v);
        return t === null ? undefined : `"${t}"`;
      };
    case 'DATE':
      return (v) => {
        const d = toDate(v);
        return d === null ? undefined : `"${d}"`;
      };
  }
}

function compileEncoder(type: LakeType): Encoder {
  switch (type.kind) {
    case 'scalar':
      return scalarEncoder(type.scalar);
    case 'list': {
      const item = compileEncoder(type.items);
      return (v) => (Array.isArray(v) ? `[${v.map((x) => (x === null ? 'null' : (item(x) ?? 'null'))).join(',')}]` : undefined);
    }
    case 'map': {
      const item = compileEncoder(type.values);
      return (v) => {
        if (!isJsonObject(v)) return undefined;
        const parts: string[] = [];
        for (const key in v) {
          const x = v[key];
          parts.push(`${JSON.stringify(key)}:${x === null ? 'null' : (item(x) ?? 'null')}`);
        }
        return `{${parts.join(',')}}`;
      };
    }
    case 'struct': {
      const fields = new Map(type.fields.map((f) => [f.name, { key: JSON.stringify(f.name), encode: compileEncoder(f.type) }]));
      return (v) => {
        if (!isJsonObject(v)) return undefined;
        const parts: string[] = [];
        for (const name in v) {
          const field = fields.get(name);
          const x = v[name];
          if (field === undefined || x === null) continue;
          const text = field.encode(x);
          if (text !== undefined) parts.push(`${field.key}:${text}`);
        }
        return `{${parts.join(',')}}`;
      };
    }
  }
}

/**
 * One value coerced to a lake type; anything that does not fit becomes null, and struct fields
 * the value does not carry are left out (they read as NULL).
 *
 * @example
 *   shapeValue('2026-11-01T12:00:00+02:00', { kind: 'scalar', scalar: 'TIMESTAMPTZ' }); // '2026-11-01T10:00:00.000Z'
 */
export function shapeValue(value: JsonValue | undefined, type: LakeType): JsonValue {
  if (value === undefined || value === null) return null;
  const text = compileEncoder(type)(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

const SYSTEM_COLUMN_NAMES = new Set(['_seq', '_ingested_at', '_batch_id', '_record_time']);

/** A row encoder for one column list: stored record in, one JSON line (without newline) out. */
export type RowEncoder = (record: StoredRecord) => string;

const encoders = new WeakMap<readonly LakeColumn[], RowEncoder>();

/** The encoder of a column list, compiled once and cached for as long as the list lives. */
export function rowEncoder(columns: readonly LakeColumn[]): RowEncoder {
  const cached = encoders.get(columns);
  if (cached) return cached;
  const fields = new Map(
    columns.filter((c) => !SYSTEM_COLUMN_NAMES.has(c.name)).map((c) => [c.name, { key: JSON.stringify(c.name), encode: compileEncoder(c.type) }]),
  );
  const encoder: RowEncoder = (record) => {
    let body: JsonValue;
    try {
      body = JSON.parse(record.body) as JsonValue;
    } catch {
      body = null;
    }
    let line =
      `{"_seq":${record.seq},"_ingested_at":"${new Date(record.ingestedAt).toISOString()}",` +
      `"_batch_id":${record.batchId === undefined ? 'null' : JSON.stringify(record.batchId)},` +
      `"_record_time":"${new Date(record.timestamp).toISOString()}"`;
    if (isJsonObject(body)) {
      for (const name in body) {
        const field = fields.get(name);
        const value = body[name];
        if (field === undefined || value === null) continue;
        const text = field.encode(value);
        if (text !== undefined) line += `,${field.key}:${text}`;
      }
    }
    return line + '}';
  };
  encoders.set(columns, encoder);
  return encoder;
}

/** A JSON-lines file to stage for DuckDB: its bytes, and the byte length of its longest line. */
export interface StagedLines {
  content: Buffer;
  longestLine: number;
}

/**
 * Lines (each one JSON object, no newline) as a staging file's content.
 *
 * @example
 *   stageLines(['{"a":1}', '{"a":2}']);  // { content: <Buffer '{"a":1}\n{"a":2}\n'>, longestLine: 7 }
 */
export function stageLines(lines: readonly string[]): StagedLines {
  let longestLine = 0;
  for (const line of lines) longestLine = Math.max(longestLine, Buffer.byteLength(line));
  return { content: Buffer.from(lines.length === 0 ? '' : lines.join('\n') + '\n'), longestLine };
}

const CLOSE_LINE = Buffer.from('}\n');

/**
 * The fast encoding of stored records: each body exactly as logged (bytes, never decoded), wrapped
 * under `_body` next to the system columns, for DuckDB to type while it reads (see
 * `ParquetWriter.write`'s `wrapped` layout). Costs no parsing and no string of the body here;
 * records that passed schema validation fit their columns, and a slice that does not is
 * re-encoded with `rowEncoder`.
 *
 * @example
 *   stageWrapped([raw]).content.toString();  // '{"_seq":7,"_ingested_at":"…","_batch_id":null,"_record_time":"…","_body":{…}}\n'
 */
export function stageWrapped(records: readonly RawStoredRecord[]): StagedLines {
  const heads = new Array<string>(records.length);
  const headBytes = new Array<number>(records.length);
  let total = 0;
  let longestLine = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    heads[i] =
      `{"_seq":${r.seq},"_ingested_at":"${new Date(r.ingestedAt).toISOString()}",` +
      `"_batch_id":${r.batchId === undefined ? 'null' : JSON.stringify(r.batchId)},` +
      `"_record_time":"${new Date(r.timestamp).toISOString()}","_body":`;
    headBytes[i] = Buffer.byteLength(heads[i]);
    const line = headBytes[i] + r.body.length + 1;
    longestLine = Math.max(longestLine, line);
    total += line + 1;
  }
  const content = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    at += content.write(heads[i], at, headBytes[i]);
    content.set(records[i].body, at);
    at += records[i].body.length;
    at += CLOSE_LINE.copy(content, at);
  }
  return { content, longestLine };
}

/** The lake row of one stored record (parsed back from its encoding): schema fields shaped by type, then the system columns. */
export function shapeRow(record: StoredRecord, columns: readonly LakeColumn[]): JsonObject {
  return JSON.parse(rowEncoder(columns)(record)) as JsonObject;
}
