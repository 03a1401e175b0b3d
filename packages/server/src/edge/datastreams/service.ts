/**
 * Datastream service: admin CRUD with validation against the catalog, and `resolveDatastream`,
 * the edge's lookup of a configId (cached in memory, invalidated on every change).
 *
 * Contract of `resolveDatastream(configId)` for the edge endpoints (interact, collect, delivery):
 * - resolves to `undefined` for an unknown or disabled configId (answer 404/400 without detail);
 * - otherwise to `{ datastream, sandboxId, admit, cors }`: `datastream.eventDatasetId` and
 *   `profileDatasetId` are dataset ids in `sandboxId` (use them with the catalog and ingest);
 *   `admit()` takes a token from the datastream's rate-limit bucket (refused → 429 with
 *   `Retry-After: retryAfterSeconds`); `cors(origin, preflight?)` gives the CORS headers for the
 *   request's Origin, or undefined when that origin may not call;
 * - a hit costs one map lookup; changes through this service (update, delete, a dataset or
 *   sandbox deleted) are visible to the next call. Buckets live in this process.
 *
 * @example
 *   const resolved = await datastreams.resolveDatastream(request.query.configId);
 *   if (!resolved) throw problem('DATASTREAM_NOT_FOUND', 'unknown datastream');
 *   const rate = resolved.admit();
 *   if (!rate.allowed) reply.header('retry-after', rate.retryAfterSeconds).status(429);
 *   reply.headers(resolved.cors(request.headers.origin) ?? {});
 */
import { randomUUID } from 'node:crypto';
import { MeridianError, problem, type FieldError } from '../../errors.ts';
import type { Dataset } from '../../catalog/model.ts';
import type { SchemaClass } from '../../schema/model.ts';
import type { Sandbox } from '../../tenancy/model.ts';
import { corsHeaders, normalizeOrigin, type PreflightRequest } from './cors.ts';
import { cookiePrefix, DEFAULT_ORG_ID, DEFAULT_RATE_LIMIT, type Datastream, type DatastreamInput } from './model.ts';
import { TokenBucket, type RateDecision } from './rate-limit.ts';
import type { DatastreamStore } from './store.ts';

/** What the datastream domain needs from the catalog, given at assembly. */
export interface DatasetLookup {
  get(sandboxId: string, idOrName: string): Promise<Dataset>;
}

export interface ResolvedDatastream {
  datastream: Datastream;
  sandboxId: string;
  /** Takes one request from the datastream's token bucket. */
  admit(now?: number): RateDecision;
  /** CORS headers for this Origin (and preflight), or undefined when the origin may not call. */
  cors(origin: string | undefined, preflight?: PreflightRequest): Record<string, string> | undefined;
}

const NEGATIVE_CACHE_LIMIT = 10_000;

export class DatastreamService {
  /** configId → resolved datastream, or null for a configId known not to resolve. */
  private readonly cache = new Map<string, ResolvedDatastream | null>();
  private negatives = 0;

  constructor(
    private readonly store: DatastreamStore,
    private readonly datasets: DatasetLookup,
  ) {}

  list(sandboxId: string): Promise<Datastream[]> {
    return this.store.list(sandboxId);
  }

  async get(sandboxId: string, id: string): Promise<Datastream> {
    const datastream = await this.store.get(sandboxId, id);
    if (!datastream) throw problem('DATASTREAM_NOT_FOUND', `datastream ${id} does not exist in this sandbox`);
    return datastream;
  }

  async create(sandbox: Sandbox, input: DatastreamInput): Promise<Datastream> {
    const now = new Date().toISOString();
    const datastream = await this.build(sandbox, randomUUID(), input, now, now);
    await this.store.put(sandbox.id, datastream);
    this.invalidate(datastream.id);
    return datastream;
  }

  async update(sandbox: Sandbox, id: string, input: DatastreamInput): Promise<Datastream> {
    const current = await this.get(sandbox.id, id);
    const datastream = await this.build(sandbox, current.id, input, current.createdAt, new Date().toISOString());
    await this.store.put(sandbox.id, datastream);
    this.invalidate(id);
    return datastream;
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    if (!(await this.store.delete(sandboxId, id))) throw problem('DATASTREAM_NOT_FOUND', `datastream ${id} does not exist in this sandbox`);
    this.invalidate(id);
  }

  /** The edge's lookup; see the module header for the contract. */
  async resolveDatastream(configId: string): Promise<ResolvedDatastream | undefined> {
    const cached = this.cache.get(configId);
    if (cached !== undefined) return cached ?? undefined;
    const stored = await this.store.find(configId);
    if (!stored || !stored.datastream.enabled) {
      // Unknown ids are cached too (bounded), so a flood of made-up configIds does not reach storage.
      if (this.negatives >= NEGATIVE_CACHE_LIMIT) this.dropNegatives();
      this.cache.set(configId, null);
      this.negatives++;
      return undefined;
    }
    const { datastream, sandboxId } = stored;
    const bucket = new TokenBucket({ requestsPerSecond: datastream.rateLimit.requestsPerSecond, burst: datastream.rateLimit.burst }, Date.now());
    const resolved: ResolvedDatastream = {
      datastream,
      sandboxId,
      admit: (now = Date.now()) => bucket.take(now),
      cors: (origin, preflight) => corsHeaders(datastream, origin, preflight),
    };
    this.cache.set(configId, resolved);
    return resolved;
  }

  /** A deleted event dataset takes its datastreams with it; a deleted profile dataset is unbound. */
  async datasetDeleted(sandboxId: string, datasetId: string): Promise<void> {
    for (const datastream of await this.store.list(sandboxId)) {
      if (datastream.eventDatasetId === datasetId) {
        await this.store.delete(sandboxId, datastream.id);
      } else if (datastream.profileDatasetId === datasetId) {
        const { profileDatasetId: _dropped, ...rest } = datastream;
        await this.store.put(sandboxId, { ...rest, updatedAt: new Date().toISOString() });
      } else {
        continue;
      }
      this.invalidate(datastream.id);
    }
  }

  async deleteSandbox(sandboxId: string): Promise<void> {
    for (const datastream of await this.store.list(sandboxId)) this.invalidate(datastream.id);
    await this.store.deleteSandbox(sandboxId);
  }

  private invalidate(id: string) {
    if (this.cache.get(id) === null) this.negatives--;
    this.cache.delete(id);
  }

  private dropNegatives() {
    for (const [id, entry] of this.cache) if (entry === null) this.cache.delete(id);
    this.negatives = 0;
  }

  private async build(sandbox: Sandbox, id: string, input: DatastreamInput, createdAt: string, updatedAt: string): Promise<Datastream> {
    const errors: FieldError[] = [];
    const eventDataset = await this.datasetOfClass(sandbox.id, input.eventDatasetId, 'event', 'eventDatasetId', errors);
    const profileDataset = input.profileDatasetId ? await this.datasetOfClass(sandbox.id, input.profileDatasetId, 'profile', 'profileDatasetId', errors) : undefined;
    const allowedOrigins: string[] = [];
    (input.allowedOrigins ?? []).forEach((origin, i) => {
      const normalized = normalizeOrigin(origin.trim());
      if (!normalized) errors.push({ path: `allowedOrigins[${i}]`, message: 'must be an origin such as https://shop.example.com (scheme and host, no path) or "*"' });
      else if (!allowedOrigins.includes(normalized)) allowedOrigins.push(normalized);
    });
    const rate = input.rateLimit ?? DEFAULT_RATE_LIMIT;
    const burst = input.rateLimit?.burst ?? Math.max(1, Math.ceil(rate.requestsPerSecond * 2));
    if (errors.length > 0 || !eventDataset) {
      throw problem('INVALID_DATASTREAM', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    }
    const orgId = input.orgId ?? DEFAULT_ORG_ID;
    return {
      id,
      sandbox: sandbox.name,
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      eventDatasetId: eventDataset.id,
      ...(profileDataset ? { profileDatasetId: profileDataset.id } : {}),
      services: {
        personalization: input.services?.personalization ?? true,
        audiences: input.services?.audiences ?? true,
        forwarding: input.services?.forwarding ?? false,
      },
      allowedOrigins,
      rateLimit: { requestsPerSecond: rate.requestsPerSecond, burst },
      orgId,
      cookiePrefix: cookiePrefix(orgId),
      enabled: input.enabled ?? true,
      createdAt,
      updatedAt,
    };
  }

  private async datasetOfClass(sandboxId: string, idOrName: string, wanted: SchemaClass, field: string, errors: FieldError[]): Promise<Dataset | undefined> {
    let dataset: Dataset;
    try {
      dataset = await this.datasets.get(sandboxId, idOrName);
    } catch (err) {
      if (!(err instanceof MeridianError && err.code === 'DATASET_NOT_FOUND')) throw err;
      errors.push({ path: field, message: `dataset "${idOrName}" does not exist in this sandbox` });
      return undefined;
    }
    if (dataset.class !== wanted) {
      errors.push({ path: field, message: `must be ${wanted === 'event' ? 'an event' : 'a profile'} dataset; "${dataset.name}" holds ${dataset.class} records` });
      return undefined;
    }
    return dataset;
  }
}
