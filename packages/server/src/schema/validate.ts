/**
 * Record validation against a schema, compiled once per schema version with Ajv. Errors name the
 * field by dot path and say what is wrong in words a data engineer can act on.
 *
 * @example
 *   const validate = compileValidator(schema);
 *   validate({ timestamp: 'yesterday' }); // [{ path: 'timestamp', message: 'must be a date-time (RFC 3339)' }]
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { pointerToPath, type FieldError } from '../errors.ts';
import { toJsonSchema, type ComposableSchema } from './compose.ts';
import { isDateTime, isFullDate } from './date-formats.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
  formats: string[],
) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
addFormats(ajv, ['email', 'uri']);
// ajv-formats' date and date-time answers, without a regular expression per date (`date-formats.ts`).
ajv.addFormat('date', isFullDate);
ajv.addFormat('date-time', isDateTime);

/** `an email`, `a date-time`. */
function withArticle(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

export type RecordValidator = (record: unknown) => FieldError[];

/**
 * Validators compiled in this thread, by their JSON Schema's text, most recently used last. A
 * thread that lives on (a batch worker's reader, kept from one batch to the next) gets the same
 * compiled, optimized code for the same schema, and Ajv's own cache (by schema object) does not
 * grow with every batch.
 */
const compiled = new Map<string, { validate: RecordValidator; jsonSchema: object }>();
const MAX_COMPILED = 64;

function describe(error: ErrorObject): FieldError {
  let path = pointerToPath(error.instancePath);
  const p = error.params as Record<string, unknown>;
  const child = (name: unknown) => (path ? `${path}.${String(name)}` : String(name));
  switch (error.keyword) {
    case 'required':
      return { path: child(p.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: child(p.additionalProperty), message: 'is not a field of the schema' };
    case 'type':
      return { path, message: `must be ${withArticle(String(p.type))}` };
    case 'format':
      return { path, message: `must be ${withArticle(String(p.format))}${p.format === 'date-time' ? ' (RFC 3339, e.g. 2026-01-31T09:30:00Z)' : p.format === 'date' ? ' (YYYY-MM-DD)' : ''}` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

export function compileValidator(schema: ComposableSchema): RecordValidator {
  const jsonSchema = toJsonSchema(schema);
  const key = JSON.stringify(jsonSchema);
  const known = compiled.get(key);
  if (known) {
    compiled.delete(key);
    compiled.set(key, known);
    return known.validate;
  }
  const fn: ValidateFunction = ajv.compile(jsonSchema);
  const validate: RecordValidator = (record) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return [{ path: '', message: 'a record must be a JSON object' }];
    }
    if (fn(record)) return [];
    return (fn.errors ?? []).map(describe);
  };
  compiled.set(key, { validate, jsonSchema });
  if (compiled.size > MAX_COMPILED) {
    const [oldest, entry] = compiled.entries().next().value as [string, { jsonSchema: object }];
    compiled.delete(oldest);
    ajv.removeSchema(entry.jsonSchema);
  }
  return validate;
}
