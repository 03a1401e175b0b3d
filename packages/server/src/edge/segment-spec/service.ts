/**
 * Segment-spec sources: write keys (created, listed, deleted; stored hashed), authentication of
 * a write key (cached), and `collect`: each message checked and mapped alone, then the valid ones
 * written through streaming ingestion (validated against the dataset schema, idempotent on
 * messageId, durable before the answer). A bad message is reported, logged and counted; it never
 * stops the others.
 *
 * @example
 *   const { source, writeKey } = await sources.create(sandbox, { name: 'website' });
 *   const auth = await sources.authenticate(writeKey);
 *   await sources.collect(auth, [{ type: 'track', event: 'Signed Up', userId: 'u1' }], { receivedAt: Date.now() });
 */
import { createHash, randomBytes } from 'node:crypto';
import { MeridianError, problem, type FieldError } from '../../errors.ts';
import type { Dataset } from '../../catalog/model.ts';
import type { CatalogService } from '../../catalog/service.ts';
import type { SchemaService } from '../../schema/service.ts';
import type { IdentityService } from '../../identity/service.ts';
import type { IngestService } from '../../ingest/service.ts';
import type { JsonObject } from '../../storage/json.ts';
import { newId } from '../../storage/ids.ts';
import type { Sandbox } from '../../tenancy/model.ts';
import { mapMessage } from './mapping.ts';
import { readMessage, type MessageType } from './message.ts';
import type { Source, SourceInput } from './model.ts';
import {
  ANONYMOUS_NAMESPACE,
  missingSegmentFields,
  SEGMENT_EVENT_DATASET_NAME,
  SEGMENT_EVENT_SCHEMA,
  SEGMENT_PROFILE_DATASET_NAME,
  SEGMENT_PROFILE_SCHEMA,
} from './schemas.ts';
import type { SourceStore } from './store.ts';

export const WRITE_KEY_PREFIX = 'wk_';
/** The `source` that ingestion records for these records (metrics, rejections). */
export const INGEST_SOURCE = 'segment';

export interface AuthenticatedSource {
  sandboxId: string;
  source: Source;
}

export interface RejectedMessage {
  index: number;
  messageId?: string;
  errors: FieldError[];
}

export interface CollectResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedMessage[];
}

export interface SourceDependencies {
  catalog: Pick<CatalogService, 'get' | 'create'>;
  schemas: Pick<SchemaService, 'get' | 'create' | 'compile'>;
  identity: Pick<IdentityService, 'namespaces' | 'createNamespace'>;
  ingest: Pick<IngestService, 'accept'>;
  /** Messages refused before ingestion (malformed), for metrics. */
  onRejected?: (sandboxId: string, n: number) => void;
}

function hashWriteKey(writeKey: string): string {
  return createHash('sha256').update(writeKey).digest('hex');
}

const AUTH_CACHE_MS = 60_000;

export class SourceService {
  private readonly authCache = new Map<string, { auth: AuthenticatedSource; checkedAt: number }>();

  constructor(
    private readonly store: SourceStore,
    private readonly deps: SourceDependencies,
  ) {}

  list(sandboxId: string): Promise<Source[]> {
    return this.store.list(sandboxId);
  }

  async get(sandboxId: string, id: string): Promise<Source> {
    const source = await this.store.get(sandboxId, id);
    if (!source) throw problem('SOURCE_NOT_FOUND', `source ${id} does not exist in this sandbox`);
    return source;
  }

  /** Creates a source and its write key (returned once). Omitted datasets are made from the standard Segment schemas. */
  async create(sandbox: Sandbox, input: SourceInput): Promise<{ source: Source; writeKey: string }> {
    const errors: FieldError[] = [];
    const eventDataset = input.eventDatasetId
      ? await this.checkDataset(sandbox.id, input.eventDatasetId, 'event', 'eventDatasetId', errors)
      : await this.provision(sandbox.id, 'event');
    const profileDataset = input.profileDatasetId
      ? await this.checkDataset(sandbox.id, input.profileDatasetId, 'profile', 'profileDatasetId', errors)
      : await this.provision(sandbox.id, 'profile');
    if (errors.length > 0 || !eventDataset || !profileDataset) {
      throw problem('INVALID_SOURCE', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    }
    await this.ensureAnonymousNamespace(sandbox.id);
    const writeKey = WRITE_KEY_PREFIX + randomBytes(24).toString('base64url');
    const source: Source = {
      id: newId('src'),
      sandbox: sandbox.name,
      name: input.name,
      eventDatasetId: eventDataset.id,
      profileDatasetId: profileDataset.id,
      keyPrefix: writeKey.slice(0, 8),
      createdAt: new Date().toISOString(),
    };
    await this.store.put(sandbox.id, source, hashWriteKey(writeKey));
    return { source, writeKey };
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    if (!(await this.store.delete(sandboxId, id))) throw problem('SOURCE_NOT_FOUND', `source ${id} does not exist in this sandbox`);
    this.forget((auth) => auth.source.id === id);
  }

  /** The source of a write key; an unknown key is refused without saying more. */
  async authenticate(writeKey: string | undefined): Promise<AuthenticatedSource> {
    if (!writeKey || writeKey.length > 200) throw problem('WRITE_KEY_INVALID', 'a valid write key is required');
    const now = Date.now();
    const cached = this.authCache.get(writeKey);
    if (cached && now - cached.checkedAt < AUTH_CACHE_MS) return cached.auth;
    const found = await this.store.findByKeyHash(hashWriteKey(writeKey));
    if (!found) {
      this.authCache.delete(writeKey);
      throw problem('WRITE_KEY_INVALID', 'a valid write key is required');
    }
    if (this.authCache.size >= 10_000) this.authCache.clear();
    this.authCache.set(writeKey, { auth: found, checkedAt: now });
    return found;
  }

  /** Checks, maps and writes messages; see the module header. */
  async collect(auth: AuthenticatedSource, messages: readonly unknown[], options: { receivedAt: number; batchSentAt?: unknown; type?: MessageType }): Promise<CollectResult> {
    const { sandboxId, source } = auth;
    const rejected: RejectedMessage[] = [];
    const events: { index: number; record: JsonObject }[] = [];
    const profiles: { index: number; record: JsonObject }[] = [];
    messages.forEach((raw, index) => {
      const read = readMessage(raw, { receivedAt: options.receivedAt, batchSentAt: options.batchSentAt, ...(options.type ? { type: options.type } : {}) });
      if (!read.ok) {
        const messageId = typeof raw === 'object' && raw !== null && 'messageId' in raw && typeof raw.messageId === 'string' ? raw.messageId : undefined;
        rejected.push({ index, ...(messageId ? { messageId } : {}), errors: read.errors });
        return;
      }
      const mapped = mapMessage(read.message);
      (mapped.target === 'event' ? events : profiles).push({ index, record: mapped.record });
    });
    if (rejected.length > 0) this.deps.onRejected?.(sandboxId, rejected.length);
    let accepted = 0;
    let duplicates = 0;
    for (const [datasetId, batch] of [[source.eventDatasetId, events], [source.profileDatasetId, profiles]] as const) {
      if (batch.length === 0) continue;
      const dataset = await this.deps.catalog.get(sandboxId, datasetId);
      // Segment's retries keep the messageId, not the time (corrected by each send's sentAt).
      const outcome = await this.deps.ingest.accept(sandboxId, dataset, batch.map((b) => b.record), { source: INGEST_SOURCE, sameById: true });
      accepted += outcome.accepted;
      duplicates += outcome.duplicates;
      for (const r of outcome.rejected) {
        const { index, record } = batch[r.index];
        rejected.push({ index, messageId: String(record._id), errors: r.errors });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, duplicates, rejected };
  }

  /** A deleted dataset takes the sources writing into it with it (their keys stop working at once). */
  async datasetDeleted(sandboxId: string, datasetId: string): Promise<void> {
    for (const source of await this.store.list(sandboxId)) {
      if (source.eventDatasetId !== datasetId && source.profileDatasetId !== datasetId) continue;
      await this.store.delete(sandboxId, source.id);
      this.forget((auth) => auth.source.id === source.id);
    }
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    await this.store.deleteSandbox(sandboxId);
    this.forget((auth) => auth.sandboxId === sandboxId);
  }

  private forget(match: (auth: AuthenticatedSource) => boolean) {
    for (const [key, entry] of this.authCache) if (match(entry.auth)) this.authCache.delete(key);
  }

  private async checkDataset(sandboxId: string, idOrName: string, kind: 'event' | 'profile', field: string, errors: FieldError[]): Promise<Dataset | undefined> {
    let dataset: Dataset;
    try {
      dataset = await this.deps.catalog.get(sandboxId, idOrName);
    } catch (err) {
      if (!(err instanceof MeridianError && err.code === 'DATASET_NOT_FOUND')) throw err;
      errors.push({ path: field, message: `dataset "${idOrName}" does not exist in this sandbox` });
      return undefined;
    }
    if (dataset.class !== kind) {
      errors.push({ path: field, message: `must be ${kind === 'event' ? 'an event' : 'a profile'} dataset; "${dataset.name}" holds ${dataset.class} records` });
      return undefined;
    }
    if (kind === 'profile' && !dataset.profileEnabled) {
      errors.push({ path: field, message: `dataset "${dataset.name}" must be profile-enabled, or identify calls would not reach profiles` });
      return undefined;
    }
    const { tree } = await this.deps.schemas.compile(sandboxId, dataset.schemaId);
    const missing = missingSegmentFields(kind, tree);
    if (missing.length > 0) {
      const standard = kind === 'event' ? SEGMENT_EVENT_SCHEMA.name : SEGMENT_PROFILE_SCHEMA.name;
      errors.push({
        path: field,
        message: `the schema of "${dataset.name}" lacks ${missing.length} field(s) the Segment mapping writes (e.g. ${missing.slice(0, 3).join(', ')}); use the ${standard} schema`,
      });
      return undefined;
    }
    return dataset;
  }

  /** The standard Segment schema and dataset of this kind, made once per sandbox. */
  private async provision(sandboxId: string, kind: 'event' | 'profile'): Promise<Dataset> {
    const schemaInput = kind === 'event' ? SEGMENT_EVENT_SCHEMA : SEGMENT_PROFILE_SCHEMA;
    const datasetName = kind === 'event' ? SEGMENT_EVENT_DATASET_NAME : SEGMENT_PROFILE_DATASET_NAME;
    const existing = await this.orUndefined(this.deps.catalog.get(sandboxId, datasetName), 'DATASET_NOT_FOUND');
    if (existing) {
      const errors: FieldError[] = [];
      const checked = await this.checkDataset(sandboxId, existing.id, kind, kind === 'event' ? 'eventDatasetId' : 'profileDatasetId', errors);
      if (!checked) throw problem('INVALID_SOURCE', `a dataset named ${datasetName} exists but does not fit: ${errors.map((e) => e.message).join('; ')}`, { errors });
      return checked;
    }
    const schema = (await this.orUndefined(this.deps.schemas.get(sandboxId, schemaInput.name), 'SCHEMA_NOT_FOUND')) ?? (await this.deps.schemas.create(sandboxId, schemaInput));
    return this.deps.catalog.create(sandboxId, { name: datasetName, schemaId: schema.id, profileEnabled: true });
  }

  private async orUndefined<T>(pending: Promise<T>, notFound: string): Promise<T | undefined> {
    try {
      return await pending;
    } catch (err) {
      if (err instanceof MeridianError && err.code === notFound) return undefined;
      throw err;
    }
  }

  private async ensureAnonymousNamespace(sandboxId: string): Promise<void> {
    if ((await this.deps.identity.namespaces(sandboxId)).some((n) => n.code === ANONYMOUS_NAMESPACE)) return;
    await this.deps.identity.createNamespace(sandboxId, {
      code: ANONYMOUS_NAMESPACE,
      name: 'Segment anonymous ID',
      type: 'cookie',
      description: 'anonymousId of Segment-spec clients when it is not an ECID',
    });
  }
}
