/**
 * The campaign tool's logs coming back: a delivery, tracking or quarantine export (CSV or JSON
 * lines, Campaign column names) is stored, mapped row by row to XDM experience events
 * (`map-log-file.ts`; in a worker thread unless the file is small), and handed to the normal
 * batch ingestion into the sandbox's `campaign_events` dataset, so bad rows are rejected alone
 * with their reasons. Rows that imply a profile change (hard bounce, quarantine, denylist,
 * opt-out) also write a profile record into `campaign_profiles`, so merge policies, audiences and
 * the activation consent gate see it.
 *
 * @example
 *   const { batch } = await campaign.importLog({ sandboxId, kind: 'tracking', format: 'csv', body: request.raw });
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { MeridianError, problem } from '../errors.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { Dataset } from '../catalog/model.ts';
import type { SchemaService } from '../schema/service.ts';
import type { SchemaInput } from '../schema/model.ts';
import type { IngestService } from '../ingest/service.ts';
import type { BatchService } from '../ingest/batch/service.ts';
import type { Batch } from '../ingest/batch/model.ts';
import { storeUpload } from '../ingest/batch/upload.ts';
import { siblingModule, startModuleWorker } from '../ingest/batch/worker-spawn.ts';
import type { JsonObject } from '../storage/json.ts';
import type { LogKind } from './log-mapping.ts';
import { mapLogFile, type MapLogJob } from './map-log-file.ts';
import type { FromMapLogWorker } from './map-log-worker.ts';
import {
  CAMPAIGN_EVENT_DATASET,
  CAMPAIGN_EVENT_SCHEMA,
  CAMPAIGN_EVENT_SCHEMA_INPUT,
  CAMPAIGN_PROFILE_DATASET,
  CAMPAIGN_PROFILE_SCHEMA,
  CAMPAIGN_PROFILE_SCHEMA_INPUT,
} from './schemas.ts';

export interface CampaignDeps {
  catalog: CatalogService;
  schemas: SchemaService;
  ingest: IngestService;
  batches: BatchService;
}

export interface CampaignOptions {
  /** Uploads and mapped files are kept under `<dataDir>/campaign/` while an import runs. */
  dataDir: string;
  /** Largest upload, as for batches (MERIDIAN_BATCH_MAX_BYTES). */
  maxBytes: number;
  /** Files up to this size are mapped on the calling thread, larger ones in a worker thread (default 64 KiB). */
  inlineMaxBytes?: number;
}

export interface LogImport {
  sandboxId: string;
  kind: LogKind;
  format: 'csv' | 'jsonl';
  /** CSV delimiter (default `,`; Campaign exports often use `;` or a tab). */
  delimiter?: string;
  body: Readable;
}

export interface LogImportResult {
  batch: Batch;
  eventDataset: Dataset;
  profileDataset: Dataset;
  /** Profile records written (deliverability and consent changes). */
  profileUpdates: number;
}

/** Profile records are written this many at a time. */
const PROFILE_CHUNK = 1000;
const WORKER_MODULE = siblingModule(import.meta.url, 'map-log-worker');
/** About 500 rows: mapping them takes a few milliseconds. */
const INLINE_MAX_BYTES = 64 * 1024;

export class CampaignService {
  private readonly ensuring = new Map<string, Promise<{ events: Dataset; profiles: Dataset }>>();

  constructor(
    private readonly deps: CampaignDeps,
    private readonly options: CampaignOptions,
  ) {
    // Files of imports a crash interrupted are of no use: the client was never answered 202.
    rmSync(join(options.dataDir, 'campaign'), { recursive: true, force: true });
  }

  /** The sandbox's campaign datasets (and their schemas), created on first use. */
  datasets(sandboxId: string): Promise<{ events: Dataset; profiles: Dataset }> {
    // One creation at a time per sandbox: two first uploads must not both create the datasets.
    const pending = this.ensuring.get(sandboxId);
    if (pending) return pending;
    const created = this.ensureDatasets(sandboxId).finally(() => this.ensuring.delete(sandboxId));
    this.ensuring.set(sandboxId, created);
    return created;
  }

  async importLog(input: LogImport): Promise<LogImportResult> {
    const { sandboxId, kind } = input;
    const { events, profiles } = await this.datasets(sandboxId);
    const { doc } = await this.deps.schemas.compile(sandboxId, events.schemaId);
    const dir = join(this.options.dataDir, 'campaign', randomUUID());
    await mkdir(dir, { recursive: true });
    try {
      const job: MapLogJob = {
        kind,
        format: input.format,
        ...(input.delimiter ? { delimiter: input.delimiter } : {}),
        inputPath: join(dir, `source.${input.format}`),
        eventsPath: join(dir, 'events.jsonl'),
        profilesPath: join(dir, 'profiles.jsonl'),
        eventSchema: { class: doc.class, fieldGroups: doc.fieldGroups, fields: doc.fields, required: doc.required },
      };
      const bytes = await storeUpload(input.body, job.inputPath, this.options.maxBytes);
      // A small file is mapped at once (a few milliseconds); a thread costs more than that to start.
      if (bytes <= (this.options.inlineMaxBytes ?? INLINE_MAX_BYTES)) await mapLogFile(job);
      else await mapLogInWorker(job);
      const batch = await this.deps.batches.upload({ sandboxId, dataset: events.id, format: 'jsonl', ignoreUnknownColumns: false, body: createReadStream(job.eventsPath) });
      const profileUpdates = await this.writeProfiles(sandboxId, profiles, job.profilesPath);
      return { batch, eventDataset: events, profileDataset: profiles, profileUpdates };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Ingests the mapped profile records into the campaign profile dataset; returns how many are in it (new or already there). */
  private async writeProfiles(sandboxId: string, dataset: Dataset, path: string): Promise<number> {
    let written = 0;
    let pending: JsonObject[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const outcome = await this.deps.ingest.accept(sandboxId, dataset, pending, { source: 'campaign' });
      written += outcome.accepted + outcome.duplicates;
      pending = [];
    };
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line === '') continue;
      pending.push(JSON.parse(line) as JsonObject);
      if (pending.length >= PROFILE_CHUNK) await flush();
    }
    await flush();
    return written;
  }

  private async ensureDatasets(sandboxId: string): Promise<{ events: Dataset; profiles: Dataset }> {
    const events = await this.ensureDataset(sandboxId, CAMPAIGN_EVENT_DATASET, CAMPAIGN_EVENT_SCHEMA, CAMPAIGN_EVENT_SCHEMA_INPUT, 'Adobe Campaign delivery, tracking and quarantine logs');
    const profiles = await this.ensureDataset(sandboxId, CAMPAIGN_PROFILE_DATASET, CAMPAIGN_PROFILE_SCHEMA, CAMPAIGN_PROFILE_SCHEMA_INPUT, 'Deliverability and email consent from Adobe Campaign logs');
    return { events, profiles };
  }

  private async ensureDataset(sandboxId: string, datasetName: string, schemaName: string, schemaInput: SchemaInput, description: string): Promise<Dataset> {
    const { catalog, schemas } = this.deps;
    const existing = await catalog.get(sandboxId, datasetName).catch((err: unknown) => {
      if (err instanceof MeridianError && err.code === 'DATASET_NOT_FOUND') return undefined;
      throw err;
    });
    const schema = await schemas.get(sandboxId, schemaName).catch(async (err: unknown) => {
      if (err instanceof MeridianError && err.code === 'SCHEMA_NOT_FOUND') return schemas.create(sandboxId, schemaInput);
      throw err;
    });
    if (existing) {
      if (existing.schemaId !== schema.id) {
        throw problem('CONFLICT', `dataset ${datasetName} exists with another schema than ${schemaName}; rename or delete it to import Campaign logs`);
      }
      return existing;
    }
    return catalog.create(sandboxId, { name: datasetName, schemaId: schema.id, profileEnabled: true, description });
  }
}

/**
 * Maps the stored file in a worker thread; a file that cannot be read is a 422 INVALID_FILE.
 *
 * @example
 *   await mapLogInWorker({ kind: 'tracking', format: 'csv', inputPath, eventsPath, profilesPath, eventSchema });
 */
export async function mapLogInWorker(job: MapLogJob): Promise<{ rows: number; profiles: number }> {
  const worker = startModuleWorker(WORKER_MODULE, job);
  try {
    const message = await new Promise<FromMapLogWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the mapping thread stopped (exit code ${code})`)));
    });
    if (message.type === 'failed') throw problem(message.code, message.detail, message.errors ? { errors: message.errors } : {});
    return { rows: message.rows, profiles: message.profiles };
  } finally {
    await worker.terminate();
  }
}
