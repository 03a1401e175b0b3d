/**
 * One file row → one record of the dataset's schema, or the precise reasons it cannot be one.
 * CSV cells are coerced by the column plan, Parquet values by their fields' types, JSON lines are
 * taken as they are; then every record is validated against the schema. Rows without an `_id`
 * get `<batchId>:<row>`, so processing the same file again writes nothing twice.
 *
 * @example
 *   const convert = { plan, validate, batchId: 'bat_1' };
 *   csvRowToRecord(['Ada', '1815-12-10'], 1, convert); // { record: { person: {...}, _id: 'bat_1:1' } }
 *   csvRowToRecord(['Ada', 'soon'], 2, convert);       // { errors: [{ path: 'person.birthDate', message: 'must be a date ...' }] }
 */
import type { FieldError } from '../../errors.ts';
import type { RecordValidator } from '../../schema/validate.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../storage/json.ts';
import { CoercionFailure, coerceTypedValue, isBlankCell } from './coerce.ts';
import type { RecordPlan } from './column-plan.ts';

export interface RowContext {
  plan: RecordPlan;
  validate: RecordValidator;
  batchId: string;
}

export type RowOutcome = { record: JsonObject; errors?: undefined } | { errors: FieldError[]; record?: undefined };

/**
 * The deterministic `_id` of a row that brings none.
 *
 * @example
 *   rowRecordId('bat_1', 42); // 'bat_1:42'
 */
export function rowRecordId(batchId: string, row: number): string {
  return `${batchId}:${row}`;
}

/**
 * CSV cells (in header order) → record, through the column plan.
 *
 * @example
 *   csvRowToRecord(['C1', 'yes'], 3, context); // { record: { crm: { crmId: 'C1', emailDeliverable: true }, _id: 'bat_1:3' } }
 */
export function csvRowToRecord(cells: readonly string[], row: number, context: RowContext): RowOutcome {
  const { plan } = context;
  if (cells.length !== plan.header.length) {
    return { errors: [{ path: '', message: `has ${cells.length} values but the header has ${plan.header.length} columns` }] };
  }
  const record: JsonObject = {};
  let failures: FieldError[] | undefined;
  for (const column of plan.columns) {
    const cell = cells[column.index];
    if (isBlankCell(cell, column.field)) continue;
    const value = column.coerceText(cell);
    if (value instanceof CoercionFailure) {
      (failures ??= []).push({ path: column.path, message: withColumn(value.message, column.column, column.path) });
    } else if (!column.write(record, value)) {
      (failures ??= []).push({ path: column.path, message: `cannot be set: another column already gave ${column.path} a different shape` });
    }
  }
  return finishRecord(record, failures, row, context);
}

/**
 * A row of typed values (Parquet, in column order) → record, through the column plan.
 *
 * @example
 *   typedRowToRecord(['C1', '1915', null], 1, context); // { record: { crm: { crmId: 'C1' }, person: { birthYear: 1915 }, _id: 'bat_1:1' } }
 */
export function typedRowToRecord(values: readonly JsonValue[], row: number, context: RowContext): RowOutcome {
  const record: JsonObject = {};
  let failures: FieldError[] | undefined;
  for (const column of context.plan.columns) {
    const value = coerceTypedValue(values[column.index] ?? null, column.field);
    if (value === undefined) continue;
    if (value instanceof CoercionFailure) {
      (failures ??= []).push({ path: column.path, message: withColumn(value.message, column.column, column.path) });
    } else if (!column.write(record, value)) {
      (failures ??= []).push({ path: column.path, message: `cannot be set: another column already gave ${column.path} a different shape` });
    }
  }
  return finishRecord(record, failures, row, context);
}

/**
 * A parsed JSON line → record: taken as it is, like a record of the streaming API.
 *
 * @example
 *   jsonLineToRecord({ timestamp: '2026-01-31T09:30:00Z' }, 7, context); // { record: { timestamp: ..., _id: 'bat_1:7' } }
 */
export function jsonLineToRecord(value: unknown, row: number, context: Pick<RowContext, 'validate' | 'batchId'>): RowOutcome {
  if (!isJsonObject(value)) return { errors: [{ path: '', message: 'a line must hold one JSON object' }] };
  if (value._id === undefined) value._id = rowRecordId(context.batchId, row);
  const errors = context.validate(value);
  return errors.length > 0 ? { errors } : { record: value };
}

function finishRecord(record: JsonObject, failures: FieldError[] | undefined, row: number, context: RowContext): RowOutcome {
  if (record._id === undefined) record._id = rowRecordId(context.batchId, row);
  const invalid = context.validate(record);
  if (!failures) return invalid.length > 0 ? { errors: invalid } : { record };
  // A value that could not be coerced was left out; the validator's view of it (e.g. "is required") adds nothing.
  const failed = failures.map((f) => f.path);
  const others = invalid.filter((e) => !failed.some((p) => e.path === p || e.path.startsWith(`${p}.`) || e.path.startsWith(`${p}[`)));
  return { errors: [...failures, ...others] };
}

function withColumn(message: string, column: string, path: string): string {
  return column === path ? message : `${message} (column "${column}")`;
}
