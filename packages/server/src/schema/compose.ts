/**
 * Composes a schema's full field tree (class base + field groups + custom fields) and turns it
 * into a closed JSON Schema for validation, and into a flat list of leaf paths for mapping and
 * typing (batch CSV coercion, lake columns).
 *
 * @example
 *   const tree = composeFields(schema);            // { _id: {...}, person: {...}, ... }
 *   const leaves = leafFields(tree);               // [{ path: 'person.name.firstName', type: 'string' }, ...]
 */
import { problem, type FieldError } from '../errors.ts';
import { CLASS_FIELDS, fieldGroup } from './field-groups.ts';
import type { FieldDefinition, SchemaClass } from './model.ts';

export interface ComposableSchema {
  class: SchemaClass;
  fieldGroups: readonly string[];
  fields: Record<string, FieldDefinition>;
  required: readonly string[];
}

/** Deep-merges `extra` into `base`; the same path defined twice with different types is an error. */
function mergeInto(base: Record<string, FieldDefinition>, extra: Record<string, FieldDefinition>, prefix: string, errors: FieldError[]) {
  for (const [name, def] of Object.entries(extra)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const existing = base[name];
    if (!existing) {
      base[name] = structuredClone(def);
    } else if (existing.type === 'object' && def.type === 'object' && existing.properties && def.properties) {
      mergeInto(existing.properties, def.properties, path, errors);
    } else if (JSON.stringify(existing) !== JSON.stringify(def)) {
      errors.push({ path, message: `is already defined as ${existing.type} by the class or a field group` });
    }
  }
}

export function composeFields(schema: ComposableSchema): Record<string, FieldDefinition> {
  const errors: FieldError[] = [];
  const tree: Record<string, FieldDefinition> = structuredClone(CLASS_FIELDS[schema.class].fields);
  for (const name of schema.fieldGroups) {
    const group = fieldGroup(name);
    if (!group) {
      errors.push({ path: 'fieldGroups', message: `unknown field group "${name}"` });
      continue;
    }
    if (group.class !== schema.class) {
      errors.push({ path: 'fieldGroups', message: `field group "${name}" is for the ${group.class} class` });
      continue;
    }
    mergeInto(tree, group.fields, '', errors);
  }
  mergeInto(tree, schema.fields, '', errors);
  if (errors.length > 0) throw problem('INVALID_SCHEMA', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  return tree;
}

export interface JsonSchemaNode {
  type?: string;
  format?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  additionalProperties?: boolean | JsonSchemaNode;
}

function toJsonSchemaNode(def: FieldDefinition, requiredHere: Map<string, string[]>, path: string): JsonSchemaNode {
  const { title: _t, description: _d, properties, items, additionalProperties, required, ...rest } = def;
  const node: JsonSchemaNode = { ...rest };
  if (def.type === 'object') {
    if (properties) {
      node.properties = {};
      for (const [name, child] of Object.entries(properties)) {
        node.properties[name] = toJsonSchemaNode(child, requiredHere, path ? `${path}.${name}` : name);
      }
    }
    node.additionalProperties = additionalProperties ? toJsonSchemaNode(additionalProperties, requiredHere, `${path}.*`) : false;
    const req = [...(required ?? []), ...(requiredHere.get(path) ?? [])];
    if (req.length > 0) node.required = [...new Set(req)];
  }
  if (def.type === 'array' && items) node.items = toJsonSchemaNode(items, requiredHere, path);
  return node;
}

/** The closed JSON Schema records of this schema must satisfy: unknown fields are refused. */
export function toJsonSchema(schema: ComposableSchema): JsonSchemaNode {
  const tree = composeFields(schema);
  const requiredHere = new Map<string, string[]>();
  for (const path of [...CLASS_FIELDS[schema.class].required, ...schema.required]) {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? '' : path.slice(0, dot);
    requiredHere.set(parent, [...(requiredHere.get(parent) ?? []), path.slice(dot + 1)]);
  }
  return toJsonSchemaNode({ type: 'object', properties: tree }, requiredHere, '');
}

export interface LeafField {
  /** Dot path; array levels are transparent (`productListItems.SKU`). */
  path: string;
  type: FieldDefinition['type'];
  format?: FieldDefinition['format'];
  /** True when the path crosses an array, or is an array of scalars. */
  repeated: boolean;
  /** True for open maps (identityMap, idSpecific): not a fixed column. */
  map: boolean;
}

/** Every leaf of the tree, depth first. An array of objects contributes its items' leaves. */
export function leafFields(tree: Record<string, FieldDefinition>, prefix = '', repeated = false): LeafField[] {
  const out: LeafField[] = [];
  for (const [name, def] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (def.type === 'object' && def.additionalProperties) {
      out.push({ path, type: 'object', repeated, map: true });
    } else if (def.type === 'object') {
      out.push(...leafFields(def.properties ?? {}, path, repeated));
    } else if (def.type === 'array' && def.items?.type === 'object' && !def.items.additionalProperties) {
      out.push(...leafFields(def.items.properties ?? {}, path, true));
    } else if (def.type === 'array') {
      out.push({ path, type: def.items?.type ?? 'string', ...(def.items?.format ? { format: def.items.format } : {}), repeated: true, map: false });
    } else {
      out.push({ path, type: def.type, ...(def.format ? { format: def.format } : {}), repeated, map: false });
    }
  }
  return out;
}

/** The definition at a dot path, or undefined. */
export function fieldAt(tree: Record<string, FieldDefinition>, path: string): FieldDefinition | undefined {
  let level: Record<string, FieldDefinition> | undefined = tree;
  let def: FieldDefinition | undefined;
  for (const part of path.split('.')) {
    def = level?.[part];
    if (!def) return undefined;
    while (def.type === 'array' && def.items) def = def.items;
    level = def.properties;
  }
  return def;
}
