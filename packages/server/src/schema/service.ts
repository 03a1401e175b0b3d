/**
 * Schema service: create, evolve and delete schemas; hand out compiled validators and field
 * trees (cached per schema version); seed every new sandbox with the standard schemas.
 *
 * @example
 *   const schema = await schemas.create(sandbox, { name: 'loyalty', class: 'profile', fieldGroups: ['person', 'loyalty'] }, actor);
 *   const validate = await schemas.validator(sandbox.id, schema.id);
 */
import { problem, type FieldError } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import { composeFields, fieldAt, leafFields, type LeafField } from './compose.ts';
import { nonAdditiveChanges } from './evolution.ts';
import type { FieldDefinition, SchemaDoc, SchemaInput } from './model.ts';
import type { SchemaStore } from './store.ts';
import { compileValidator, type RecordValidator } from './validate.ts';

/** What the schema domain needs to know about datasets, given at assembly (no import of catalog). */
export interface SchemaUsage {
  /** Datasets bound to the schema, and whether any holds records. */
  usage(sandboxId: string, schemaId: string): Promise<{ datasets: number; holdsData: boolean }>;
}

export interface CompiledSchema {
  doc: SchemaDoc;
  tree: Record<string, FieldDefinition>;
  leaves: LeafField[];
  validate: RecordValidator;
}

export const STANDARD_SCHEMAS: SchemaInput[] = [
  {
    name: 'profile',
    title: 'Customer profile',
    class: 'profile',
    fieldGroups: ['person', 'contact', 'consents', 'loyalty', 'crm'],
    identities: [
      { path: 'crm.crmId', namespace: 'CRMID', primary: true },
      { path: 'personalEmail.address', namespace: 'Email' },
      { path: 'mobilePhone.number', namespace: 'Phone' },
    ],
    labels: { 'personalEmail.address': ['I1'], 'mobilePhone.number': ['I1'], 'person.birthDate': ['I2'], 'homeAddress': ['I2'] },
  },
  {
    name: 'experience-event',
    title: 'Experience event (web, app, commerce)',
    class: 'event',
    fieldGroups: ['web', 'commerce', 'productListItems', 'environment', 'device', 'placeContext', 'marketing'],
    labels: { 'environment.ipV4': ['I2'], 'environment.ipV6': ['I2'], 'placeContext.geo': ['S1'] },
  },
];

export class SchemaService {
  private readonly compiled = new Map<string, CompiledSchema>();
  /** `sandbox/idOrName` → the compiled current version. */
  private readonly current = new Map<string, CompiledSchema>();
  private usageSource?: SchemaUsage;
  private readonly changeListeners: ((sandboxId: string) => void)[] = [];

  constructor(private readonly store: SchemaStore) {}

  /** Told after any schema of a sandbox was created, changed (its fields or field labels) or deleted. */
  onChange(listener: (sandboxId: string) => void): void {
    this.changeListeners.push(listener);
  }

  setUsageSource(source: SchemaUsage): void {
    this.usageSource = source;
  }

  list(sandboxId: string) {
    return this.store.list(sandboxId);
  }

  async get(sandboxId: string, id: string): Promise<SchemaDoc> {
    const doc = (await this.store.get(sandboxId, id)) ?? (await this.store.getByName(sandboxId, id));
    if (!doc) throw problem('SCHEMA_NOT_FOUND', `schema ${id} does not exist in this sandbox`);
    return doc;
  }

  async seedSandbox(sandboxId: string): Promise<void> {
    for (const input of STANDARD_SCHEMAS) {
      if (!(await this.store.getByName(sandboxId, input.name))) await this.create(sandboxId, input);
    }
  }

  async create(sandboxId: string, input: SchemaInput): Promise<SchemaDoc> {
    if (await this.store.getByName(sandboxId, input.name)) throw problem('NAME_TAKEN', `a schema named "${input.name}" already exists`);
    const now = new Date().toISOString();
    const doc = this.build(newId('sch'), input, 1, now, now);
    await this.store.put(sandboxId, doc);
    this.changed(sandboxId);
    return doc;
  }

  /** Replaces a schema's definition; additive only once a dataset of it holds data. */
  async update(sandboxId: string, id: string, input: SchemaInput): Promise<SchemaDoc> {
    const current = await this.get(sandboxId, id);
    if (input.name !== current.name && (await this.store.getByName(sandboxId, input.name))) {
      throw problem('NAME_TAKEN', `a schema named "${input.name}" already exists`);
    }
    const next = this.build(current.id, input, current.version + 1, current.createdAt, new Date().toISOString());
    const usage = await this.usageSource?.usage(sandboxId, current.id);
    if (usage?.holdsData) {
      const errors = nonAdditiveChanges(current, next);
      if (errors.length > 0) {
        throw problem('SCHEMA_CHANGE_NOT_ADDITIVE', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
      }
    }
    await this.store.put(sandboxId, next);
    this.changed(sandboxId);
    return next;
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    const doc = await this.get(sandboxId, id);
    const usage = await this.usageSource?.usage(sandboxId, doc.id);
    if (usage && usage.datasets > 0) throw problem('SCHEMA_IN_USE', `schema ${doc.name} is used by ${usage.datasets} dataset(s)`);
    await this.store.delete(sandboxId, doc.id);
    this.changed(sandboxId);
  }

  deleteSandbox(sandboxId: string) {
    for (const key of this.compiled.keys()) if (key.startsWith(`${sandboxId}/`)) this.compiled.delete(key);
    this.changed(sandboxId);
    return this.store.deleteSandbox(sandboxId);
  }

  /**
   * The current version of a schema with its composed tree, leaves and validator. Compiled once
   * per version and kept until the schema changes: every ingested record asks for it.
   */
  async compile(sandboxId: string, id: string): Promise<CompiledSchema> {
    const current = this.current.get(`${sandboxId}/${id}`);
    if (current) return current;
    const doc = await this.get(sandboxId, id);
    const key = `${sandboxId}/${doc.id}@${doc.version}`;
    let entry = this.compiled.get(key);
    if (!entry) {
      const tree = composeFields(doc);
      entry = { doc, tree, leaves: leafFields(tree), validate: compileValidator(doc) };
      this.compiled.set(key, entry);
    }
    this.current.set(`${sandboxId}/${id}`, entry);
    return entry;
  }

  /** Forgets the current-version cache of a sandbox after any schema change in it, and tells the listeners. */
  private changed(sandboxId: string) {
    for (const key of this.current.keys()) if (key.startsWith(`${sandboxId}/`)) this.current.delete(key);
    for (const listener of this.changeListeners) listener(sandboxId);
  }

  private build(id: string, input: SchemaInput, version: number, createdAt: string, updatedAt: string): SchemaDoc {
    const doc: SchemaDoc = {
      id,
      name: input.name,
      title: input.title ?? input.name,
      ...(input.description ? { description: input.description } : {}),
      class: input.class,
      fieldGroups: input.fieldGroups ?? [],
      fields: (input.fields ?? {}) as Record<string, FieldDefinition>,
      required: input.required ?? [],
      identities: input.identities ?? [],
      labels: input.labels ?? {},
      version,
      createdAt,
      updatedAt,
    };
    const tree = composeFields(doc); // throws INVALID_SCHEMA on unknown groups or conflicts
    const errors: FieldError[] = [];
    for (const path of doc.required) if (!fieldAt(tree, path)) errors.push({ path: 'required', message: `"${path}" is not a field of the schema` });
    doc.identities.forEach((identity, i) => {
      const def = fieldAt(tree, identity.path);
      if (!def) errors.push({ path: `identities[${i}].path`, message: `"${identity.path}" is not a field of the schema` });
      else if (def.type !== 'string') errors.push({ path: `identities[${i}].path`, message: `"${identity.path}" must be a string field to hold an identity` });
    });
    if (doc.identities.filter((x) => x.primary).length > 1) errors.push({ path: 'identities', message: 'at most one identity can be primary' });
    for (const path of Object.keys(doc.labels)) if (!fieldAt(tree, path)) errors.push({ path: `labels.${path}`, message: `"${path}" is not a field of the schema` });
    try {
      compileValidator(doc);
    } catch (err) {
      errors.push({ path: 'fields', message: `is not a valid JSON Schema: ${(err as Error).message}` });
    }
    if (errors.length > 0) throw problem('INVALID_SCHEMA', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    return doc;
  }
}
