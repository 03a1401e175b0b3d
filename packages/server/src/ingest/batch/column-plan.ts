/**
 * From a file's columns to a plan: which schema field each column fills, and how its values are
 * coerced. By default a column's name IS its dot path (`person.name.firstName`); a mapping renames
 * (`{"first_name": "person.name.firstName"}`) or drops (`{"internal": null}`) columns. Problems are
 * found once, up front, and named by column.
 *
 * @example
 *   const result = planColumns(['email', 'person.name.firstName'], tree, { mapping: { email: 'personalEmail.address' } });
 *   if ('plan' in result) result.plan.columns[0].path; // 'personalEmail.address'
 */
import { problem, type FieldError } from '../../errors.ts';
import type { FieldDefinition } from '../../schema/model.ts';
import { textCoercer, type TextCoercer } from './coerce.ts';
import { fieldAtPath, formatPath, parseTargetPath, pathWriter, type PathStep, type PathWriter } from './field-path.ts';
import type { ColumnMapping } from './model.ts';

export interface ColumnPlan {
  /** Position of the column in the file's rows. */
  index: number;
  column: string;
  /** Target dot path, as the user wrote it (normalized). */
  path: string;
  steps: PathStep[];
  /** Sets a value at `steps` in a record. */
  write: PathWriter;
  field: FieldDefinition;
  coerceText: TextCoercer;
}

export interface RecordPlan {
  /** The file's columns, in order (kept to show rejected rows as they were). */
  header: string[];
  /** Columns that fill a field; ignored columns are left out. */
  columns: ColumnPlan[];
  /** True when a column fills `_id`; otherwise rows get `<batchId>:<row>`. */
  hasIdColumn: boolean;
}

export interface PlanOptions {
  mapping?: ColumnMapping;
  ignoreUnknownColumns?: boolean;
}

/**
 * Parses a mapping given as JSON text (query parameter or header).
 *
 * @example
 *   parseMapping('{"first_name":"person.name.firstName"}'); // { first_name: 'person.name.firstName' }
 */
export function parseMapping(text: string | undefined): ColumnMapping | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw problem('INVALID_MAPPING', `the mapping is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw problem('INVALID_MAPPING', 'the mapping must be a JSON object of source column → schema dot path (or null to ignore the column)');
  }
  const errors: FieldError[] = [];
  for (const [column, target] of Object.entries(parsed)) {
    if (target !== null && (typeof target !== 'string' || target === '')) errors.push({ path: column, message: 'must map to a schema dot path or null' });
  }
  if (errors.length > 0) throw problem('INVALID_MAPPING', describe(errors), { errors });
  return parsed as ColumnMapping;
}

/**
 * Checks that every mapping target is a field of the schema, before any byte is uploaded.
 *
 * @example
 *   checkMappingTargets({ size: 'person.shoeSize' }, tree); // throws INVALID_MAPPING naming "size"
 */
export function checkMappingTargets(mapping: ColumnMapping | undefined, tree: Record<string, FieldDefinition>): void {
  if (!mapping) return;
  const errors: FieldError[] = [];
  for (const [column, target] of Object.entries(mapping)) {
    if (target === null) continue;
    const resolved = resolveTarget(target, tree);
    if (typeof resolved === 'string') errors.push({ path: column, message: resolved });
  }
  if (errors.length > 0) throw problem('INVALID_MAPPING', describe(errors), { errors });
}

function resolveTarget(target: string, tree: Record<string, FieldDefinition>): { steps: PathStep[]; field: FieldDefinition } | string {
  const steps = parseTargetPath(target);
  if (typeof steps === 'string') return steps;
  const field = fieldAtPath(tree, steps);
  if (typeof field === 'string') return field;
  return { steps, field };
}

/**
 * The plan for a file's header, or every problem with it, each named by column.
 *
 * @example
 *   planColumns(['crm.crmId', 'shoe_size'], tree); // { errors: [{ path: 'shoe_size', message: 'shoe_size is not a field of the schema; ...' }] }
 */
export function planColumns(header: readonly string[], tree: Record<string, FieldDefinition>, options: PlanOptions = {}): { plan: RecordPlan } | { errors: FieldError[] } {
  const mapping = options.mapping ?? {};
  const errors: FieldError[] = [];
  const columns: ColumnPlan[] = [];
  const seen = new Set<string>();
  header.forEach((column, index) => {
    if (seen.has(column)) errors.push({ path: column, message: `appears twice in the header (columns must be unique)` });
    seen.add(column);
    const target = Object.hasOwn(mapping, column) ? mapping[column] : column;
    if (target === null) return;
    const resolved = column === '' && !Object.hasOwn(mapping, column) ? `column ${index + 1} has no name` : resolveTarget(target, tree);
    if (typeof resolved === 'string') {
      if (options.ignoreUnknownColumns && !Object.hasOwn(mapping, column)) return;
      const hint = Object.hasOwn(mapping, column) ? '' : '; map it with ?mapping={"<column>":"<dot.path>"} or pass ?ignoreUnknownColumns=true';
      errors.push({ path: column, message: `${resolved}${hint}` });
      return;
    }
    const { steps, field } = resolved;
    columns.push({ index, column, path: formatPath(steps), steps, write: pathWriter(steps), field, coerceText: textCoercer(field) });
  });
  for (const column of Object.keys(mapping)) {
    if (!seen.has(column)) errors.push({ path: column, message: 'is in the mapping but the file has no such column' });
  }
  errors.push(...overlappingTargets(columns));
  if (errors.length > 0) return { errors };
  return { plan: { header: [...header], columns, hasIdColumn: columns.some((c) => c.path === '_id') } };
}

/** Two columns may not fill the same field, nor one fill a field inside another's. */
function overlappingTargets(columns: readonly ColumnPlan[]): FieldError[] {
  const errors: FieldError[] = [];
  const byPath = new Map<string, string>();
  for (const c of columns) byPath.set(c.path, c.column);
  for (const c of columns) {
    const owner = byPath.get(c.path);
    if (owner !== c.column) errors.push({ path: c.column, message: `fills ${c.path}, which column "${owner}" fills too` });
    for (let i = 1; i < c.steps.length; i++) {
      const prefix = formatPath(c.steps.slice(0, i));
      const parent = byPath.get(prefix);
      if (parent !== undefined) errors.push({ path: c.column, message: `fills ${c.path}, inside ${prefix} which column "${parent}" fills whole` });
    }
  }
  return errors;
}

/**
 * One sentence naming every problem, for the problem `detail`.
 *
 * @example
 *   describe([{ path: 'x', message: 'is unknown' }]); // 'column "x": is unknown'
 */
export function describe(errors: readonly FieldError[]): string {
  return errors.slice(0, 5).map((e) => `column "${e.path}": ${e.message}`).join('; ') + (errors.length > 5 ? ` (and ${errors.length - 5} more)` : '');
}
