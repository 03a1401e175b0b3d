/**
 * Schema evolution rules: once a dataset of a schema holds data, a change may only add. Removing a
 * field, changing its type or constraints, a class change, or a newly required field is refused.
 */
import type { FieldError } from '../errors.ts';
import { composeFields, type ComposableSchema } from './compose.ts';
import type { FieldDefinition } from './model.ts';

/** JSON with keys sorted at every level, so equal definitions compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A definition's type and constraints, without the words that may change freely and without its
 * child fields and required list (children are compared at their own paths, required separately).
 */
function shape(def: FieldDefinition): string {
  const { title: _t, description: _d, properties: _p, required: _r, items, ...rest } = def;
  return canonical({ ...rest, ...(items ? { items: shape(items) } : {}) });
}

/** The object whose fields sit at a path: the definition itself, or its array's items. */
function objectAt(def: FieldDefinition): FieldDefinition | undefined {
  const inner = def.type === 'array' ? def.items : def;
  return inner?.type === 'object' ? inner : undefined;
}

function definitions(tree: Record<string, FieldDefinition>, prefix = '', out = new Map<string, FieldDefinition>()) {
  for (const [name, def] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.set(path, def);
    const inner = def.type === 'array' ? def.items : def;
    if (inner?.properties) definitions(inner.properties, path, out);
  }
  return out;
}

export function nonAdditiveChanges(before: ComposableSchema, after: ComposableSchema): FieldError[] {
  const problems: FieldError[] = [];
  if (before.class !== after.class) problems.push({ path: 'class', message: `cannot change from ${before.class} to ${after.class}` });
  const old = definitions(composeFields(before));
  const next = definitions(composeFields(after));
  for (const [path, def] of old) {
    const now = next.get(path);
    if (!now) problems.push({ path, message: 'cannot be removed' });
    else if (shape(now) !== shape(def) && !(def.type === 'object' && now.type === 'object')) {
      problems.push({ path, message: `cannot change from ${shape(def)} to ${shape(now)}` });
    } else {
      const was = new Set(objectAt(def)?.required ?? []);
      for (const name of objectAt(now)?.required ?? []) if (!was.has(name)) problems.push({ path: `${path}.${name}`, message: 'cannot become required' });
    }
  }
  const wasRequired = new Set(before.required);
  for (const path of after.required) if (!wasRequired.has(path)) problems.push({ path, message: 'cannot become required' });
  return problems;
}
