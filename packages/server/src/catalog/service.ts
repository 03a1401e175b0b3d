/**
 * Dataset service: datasets bound to a schema, with the profile-enabled flag, labels and retention.
 * Deleting a dataset tells every listener (record log, lake) to drop what it holds for it.
 *
 * @example
 *   const ds = await catalog.create(sandboxId, { name: 'web_events', schemaId: 'experience-event' }, actor);
 */
import { problem } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import type { SchemaService } from '../schema/service.ts';
import type { Dataset, DatasetInput, DatasetPatch } from './model.ts';
import type { DatasetStore } from './store.ts';

export type DatasetListener = (sandboxId: string, dataset: Dataset) => Promise<void>;

export class CatalogService {
  private readonly deletedListeners: DatasetListener[] = [];
  private readonly updatedListeners: ((sandboxId: string, dataset: Dataset) => void)[] = [];
  private readonly changeListeners: ((sandboxId: string) => void)[] = [];
  private readonly cache = new Map<string, Dataset>();

  constructor(
    private readonly store: DatasetStore,
    private readonly schemas: SchemaService,
  ) {}

  onDatasetDeleted(listener: DatasetListener): void {
    this.deletedListeners.push(listener);
  }

  /** Told after a dataset was created, changed or deleted, once the change has taken effect (also for lookups by id). */
  onChange(listener: (sandboxId: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Told after a dataset was changed (its labels, retention, name...). */
  onDatasetUpdated(listener: (sandboxId: string, dataset: Dataset) => void): void {
    this.updatedListeners.push(listener);
  }

  list(sandboxId: string) {
    return this.store.list(sandboxId);
  }

  listWithRetention() {
    return this.store.listWithRetention();
  }

  /** By id or by name; cached, since every ingest request asks. */
  async get(sandboxId: string, idOrName: string): Promise<Dataset> {
    const key = `${sandboxId}/${idOrName}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const dataset = (await this.store.get(sandboxId, idOrName)) ?? (await this.store.getByName(sandboxId, idOrName));
    if (!dataset) throw problem('DATASET_NOT_FOUND', `dataset ${idOrName} does not exist in this sandbox`);
    this.cache.set(key, dataset);
    return dataset;
  }

  async create(sandboxId: string, input: DatasetInput): Promise<Dataset> {
    if (await this.store.getByName(sandboxId, input.name)) throw problem('NAME_TAKEN', `a dataset named "${input.name}" already exists`);
    const schema = await this.schemas.get(sandboxId, input.schemaId);
    const now = new Date().toISOString();
    const dataset: Dataset = {
      id: newId('ds'),
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      schemaId: schema.id,
      class: schema.class,
      profileEnabled: input.profileEnabled ?? false,
      labels: input.labels ?? [],
      ...(input.retentionDays ? { retentionDays: input.retentionDays } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.put(sandboxId, dataset);
    this.changed(sandboxId);
    return dataset;
  }

  async update(sandboxId: string, idOrName: string, patch: DatasetPatch): Promise<Dataset> {
    const current = await this.get(sandboxId, idOrName);
    if (patch.name && patch.name !== current.name && (await this.store.getByName(sandboxId, patch.name))) {
      throw problem('NAME_TAKEN', `a dataset named "${patch.name}" already exists`);
    }
    const next: Dataset = { ...current, ...patch, updatedAt: new Date().toISOString() };
    await this.store.put(sandboxId, next);
    this.forget(sandboxId, current);
    this.changed(sandboxId);
    for (const listener of this.updatedListeners) listener(sandboxId, next);
    return next;
  }

  async delete(sandboxId: string, idOrName: string): Promise<void> {
    const dataset = await this.get(sandboxId, idOrName);
    for (const listener of this.deletedListeners) await listener(sandboxId, dataset);
    await this.store.delete(sandboxId, dataset.id);
    this.forget(sandboxId, dataset);
    this.changed(sandboxId);
  }

  countBySchema(sandboxId: string, schemaId: string) {
    return this.store.countBySchema(sandboxId, schemaId);
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    for (const dataset of await this.store.list(sandboxId)) await this.delete(sandboxId, dataset.id);
    await this.store.deleteSandbox(sandboxId);
  }

  private changed(sandboxId: string) {
    for (const listener of this.changeListeners) listener(sandboxId);
  }

  private forget(sandboxId: string, dataset: Dataset) {
    this.cache.delete(`${sandboxId}/${dataset.id}`);
    this.cache.delete(`${sandboxId}/${dataset.name}`);
  }
}
