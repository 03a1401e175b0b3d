/**
 * Schema evolution rules: once a dataset of a schema holds data, a change may only add. Removing a
 * field, changing its type or constraints, a class change, or a newly required field is refused.
 */
import type { FieldError } from '../app/errors.ts';
import { composeFields, type ComposableSchema } from './compose.ts';
import type { FieldDefinition } from './model.ts';

/** A leaf's definition without the words that may change freely. */
function shape(def: FieldDefinition): string {
  const { title: _t, description: _d, properties: _p, ...rest } = def;
  return JSON.stringify(rest, Object.keys(rest).sort());
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
    }
  }
  const wasRequired = new Set(before.required);
  for (const path of after.required) if (!wasRequired.has(path)) problems.push({ path, message: 'cannot become required' });
  return problems;
}
