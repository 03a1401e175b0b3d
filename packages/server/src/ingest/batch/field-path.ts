/**
 * Target paths of batch columns: `person.name.firstName`, `productListItems[0].SKU`,
 * `identityMap.Email[0].id`. Parses them, finds the schema field they name (through objects,
 * open maps and array items) and writes values at them in a nested record.
 *
 * @example
 *   const steps = parseTargetPath('productListItems[0].SKU');   // [{key:'productListItems'},{index:0},{key:'SKU'}]
 *   const record = {};
 *   setAtPath(record, steps, 'A-1');                             // { productListItems: [{ SKU: 'A-1' }] }
 *   pathWriter(parseTargetPath('person.name.firstName') as PathStep[])(record, 'Ada'); // the same as setAtPath, faster
 */
import type { FieldDefinition } from '../../schema/model.ts';
import { RESERVED_FIELD_NAMES } from '../../schema/model.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';

export type PathStep = { key: string; index?: undefined } | { index: number; key?: undefined };

/** Writes a value at one path of a record, as `setAtPath` does; false when the path is blocked by a value of another shape. */
export type PathWriter = (record: JsonObject, value: JsonValue) => boolean;

/**
 * Steps of a target path, or a sentence saying why the text is not one.
 *
 * @example
 *   parseTargetPath('a..b'); // '"a..b" is not a field path (...)'
 */
export function parseTargetPath(text: string): PathStep[] | string {
  const steps: PathStep[] = [];
  const pattern = /([^.[\]]+)((?:\[\d{1,6}\])*)(\.|$)/y;
  let at = 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match || match[0] === '') return `"${text}" is not a field path (use dots between names and [n] for array items, e.g. productListItems[0].SKU)`;
    if ((RESERVED_FIELD_NAMES as readonly string[]).includes(match[1])) return `"${text}" names ${match[1]}, which no field may be called`;
    steps.push({ key: match[1] });
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) steps.push({ index: Number(index[1]) });
    at = pattern.lastIndex;
    if (match[3] === '.' && at === text.length) return `"${text}" ends with a dot`;
  }
  if (steps.length === 0) return 'the field path is empty';
  return steps;
}

/**
 * Steps back to text.
 *
 * @example
 *   formatPath([{ key: 'items' }, { index: 0 }, { key: 'sku' }]); // 'items[0].sku'
 */
export function formatPath(steps: readonly PathStep[]): string {
  let out = '';
  for (const step of steps) out += step.key === undefined ? `[${step.index}]` : out === '' ? step.key : `.${step.key}`;
  return out;
}

/**
 * The field definition a path names in a schema's field tree, or a sentence saying why there is none.
 *
 * @example
 *   fieldAtPath(tree, parseTargetPath('identityMap.Email[0].id') as PathStep[]); // { type: 'string', ... }
 *   fieldAtPath(tree, [{ key: 'shoeSize' }]);                                    // 'shoeSize is not a field of the schema'
 */
export function fieldAtPath(tree: Record<string, FieldDefinition>, steps: readonly PathStep[]): FieldDefinition | string {
  let def: FieldDefinition = { type: 'object', properties: tree };
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const here = formatPath(steps.slice(0, i));
    if (step.key !== undefined) {
      if (def.type === 'array') return `${here} is an array: name an item, e.g. ${here}[0].${step.key}`;
      if (def.type !== 'object') return `${here} is a ${def.type}, it has no field "${step.key}"`;
      const child: FieldDefinition | undefined = def.additionalProperties ?? def.properties?.[step.key];
      if (!child) return `${formatPath(steps.slice(0, i + 1))} is not a field of the schema`;
      def = child;
    } else {
      if (def.type !== 'array' || !def.items) return `${here || '(record)'} is not an array`;
      def = def.items;
    }
  }
  return def;
}

/** Writes `value` at the path, creating objects and arrays on the way; false when the path is blocked by a value of another shape. */
export function setAtPath(record: JsonObject, steps: readonly PathStep[], value: JsonValue): boolean {
  let container: JsonObject | JsonValue[] = record;
  const last = steps.length - 1;
  for (let i = 0; i < last; i++) {
    const step = steps[i];
    const nextIsIndex = steps[i + 1].index !== undefined;
    let child: JsonValue | undefined = step.key !== undefined ? (container as JsonObject)[step.key] : (container as JsonValue[])[step.index];
    if (child === undefined || child === null) {
      child = nextIsIndex ? [] : {};
      if (step.key !== undefined) (container as JsonObject)[step.key] = child;
      else (container as JsonValue[])[step.index] = child;
    } else if (typeof child !== 'object' || Array.isArray(child) !== nextIsIndex) {
      return false;
    }
    container = child as JsonObject | JsonValue[];
  }
  const step = steps[last];
  if (step.key !== undefined) {
    if (Array.isArray(container)) return false;
    container[step.key] = value;
  } else {
    if (!Array.isArray(container)) return false;
    container[step.index] = value;
  }
  return true;
}

/** The object under `key`, created when absent; undefined when a value of another shape is there. */
function objectAt(container: JsonObject, key: string): JsonObject | undefined {
  const child = container[key];
  if (child === undefined || child === null) {
    const created: JsonObject = {};
    container[key] = created;
    return created;
  }
  return typeof child === 'object' && !Array.isArray(child) ? child : undefined;
}

/**
 * A writer for one path, chosen once per column: paths of names only (the usual case) skip the
 * step-by-step walk of `setAtPath`; paths through arrays use it.
 *
 * @example
 *   const write = pathWriter([{ key: 'person' }, { key: 'birthYear' }]);
 *   write(record, 1815); // true; record.person.birthYear === 1815
 */
export function pathWriter(steps: readonly PathStep[]): PathWriter {
  const keys = steps.map((step) => step.key);
  if (keys.some((key) => key === undefined)) return (record, value) => setAtPath(record, steps, value);
  const names = keys as string[];
  const last = names[names.length - 1];
  switch (names.length) {
    case 1:
      return (record, value) => {
        record[last] = value;
        return true;
      };
    case 2: {
      const first = names[0];
      return (record, value) => {
        const parent = objectAt(record, first);
        if (parent === undefined) return false;
        parent[last] = value;
        return true;
      };
    }
    default: {
      const parents = names.slice(0, -1);
      return (record, value) => {
        let parent: JsonObject | undefined = record;
        for (let i = 0; i < parents.length && parent !== undefined; i++) parent = objectAt(parent, parents[i]);
        if (parent === undefined) return false;
        parent[last] = value;
        return true;
      };
    }
  }
}
