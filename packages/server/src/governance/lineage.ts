/**
 * Label lineage: which labels a read field carries into a use, through which dataset, set where.
 * A dataset's labels apply to every field it supplies; a schema's field labels apply to the field,
 * its descendants (a label on `homeAddress` covers `homeAddress.city`) and, when a whole object is
 * read, to the labelled fields inside it. Pure: the service gathers the datasets and schemas.
 *
 * @example
 *   const crm = { id: 'ds_1', name: 'crm', class: 'profile', labels: ['C2'], schemaLabels: { 'personalEmail.address': ['I1'] }, leaves: [{ path: 'personalEmail.address', map: false }] };
 *   lineageOfField({ path: 'personalEmail.address', class: 'profile' }, [crm]);
 *   // [{ label: 'C2', field: 'personalEmail.address', dataset: 'ds_1', source: 'dataset', ... },
 *   //  { label: 'I1', field: 'personalEmail.address', dataset: 'ds_1', source: 'field', schemaField: 'personalEmail.address', ... }]
 */
import type { LineageEntry } from './model.ts';

export type RecordClass = 'profile' | 'event';

/** A field a use reads: from an audience's expression, or mapped for export. */
export interface ReadField {
  path: string;
  class: RecordClass;
  audienceId?: string;
}

/** A dataset that may supply fields, with what governance needs of it and of its schema. */
export interface DatasetFacts {
  id: string;
  name: string;
  class: RecordClass;
  labels: readonly string[];
  /** The schema's field path → labels. */
  schemaLabels: Readonly<Record<string, readonly string[]>>;
  /** The schema's leaf fields (`map` for open maps such as identityMap). */
  leaves: readonly { path: string; map: boolean }[];
}

const within = (path: string, ancestor: string) => path === ancestor || path.startsWith(`${ancestor}.`);

/** Whether a schema has the field: a leaf, an object holding leaves, or a key inside an open map. */
export function schemaDefines(leaves: DatasetFacts['leaves'], path: string): boolean {
  return leaves.some((leaf) => within(leaf.path, path) || (leaf.map && path.startsWith(`${leaf.path}.`)));
}

/** The schema labels that reach a read field: set on it, on an ancestor, or on a descendant. */
export function fieldLabelsFor(schemaLabels: DatasetFacts['schemaLabels'], path: string): { schemaField: string; label: string }[] {
  const out: { schemaField: string; label: string }[] = [];
  for (const [schemaField, labels] of Object.entries(schemaLabels)) {
    if (within(path, schemaField) || within(schemaField, path)) for (const label of labels) out.push({ schemaField, label });
  }
  return out;
}

/** The lineage a field brings from the datasets that define it; undefined when none of them does. */
export function lineageOfField(field: ReadField, datasets: readonly DatasetFacts[]): LineageEntry[] | undefined {
  const suppliers = datasets.filter((d) => d.class === field.class && schemaDefines(d.leaves, field.path));
  if (suppliers.length === 0) return undefined;
  const shown = field.class === 'event' ? `xEvent.${field.path}` : field.path;
  const out: LineageEntry[] = [];
  for (const dataset of suppliers) {
    const common = { field: shown, dataset: dataset.id, datasetName: dataset.name, ...(field.audienceId ? { audienceId: field.audienceId } : {}) };
    for (const label of dataset.labels) out.push({ label, ...common, source: 'dataset' });
    for (const { schemaField, label } of fieldLabelsFor(dataset.schemaLabels, field.path)) out.push({ label, ...common, source: 'field', schemaField });
  }
  return out;
}

/** A dataset used whole: its own labels, not tied to a field. */
export function lineageOfDataset(dataset: DatasetFacts): LineageEntry[] {
  return dataset.labels.map((label) => ({ label, field: null, dataset: dataset.id, datasetName: dataset.name, source: 'dataset' as const }));
}

/** Drops repeated entries, keeping the first of each. */
export function dedupeLineage(entries: readonly LineageEntry[]): LineageEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = [e.label, e.field, e.dataset, e.source, e.schemaField, e.audienceId].join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
