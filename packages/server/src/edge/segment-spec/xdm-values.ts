/** Small, typed readers and a path writer used by the Segment → XDM mapping: a value goes in only when it fits the field. */
import { isJsonObject, type JsonObject, type JsonValue } from '../../storage/json.ts';

export function text(value: JsonValue | undefined, maxLength = 1024): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > maxLength ? undefined : trimmed;
}

export function integer(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export function number(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function object(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

/** Sets `value` at a dot path, creating the objects on the way; undefined values are skipped. */
export function put(record: JsonObject, path: string, value: JsonValue | undefined): void {
  if (value === undefined) return;
  const parts = path.split('.');
  let level = record;
  for (const part of parts.slice(0, -1)) {
    const next = level[part];
    if (isJsonObject(next)) level = next;
    else level = level[part] = {};
  }
  level[parts[parts.length - 1]] = value;
}

/** A free-form object as a map of strings: strings as sent, other values as their JSON text, nulls dropped. */
export function textMap(value: JsonObject, leaveOut: readonly string[] = []): JsonObject | undefined {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || leaveOut.includes(key)) continue;
    out[key] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
