/**
 * Assembles the embedded platform: one SQLite database, every domain's store and service, and the
 * wiring between domains (who listens to whom). The HTTP server and the CLI both start from here.
 *
 * @example
 *   const platform = await openPlatform(loadConfig({ MERIDIAN_DATA_DIR: '/tmp/m' }));
 *   await platform.close();
 */
import { join } from 'node:path';
import type { Config } from './config.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.ts';
import { SqliteTenancyStore } from '../tenancy/sqlite-store.ts';
import { TenancyService } from '../tenancy/service.ts';
import { SqliteSchemaStore } from '../schema/sqlite-store.ts';
import { SchemaService } from '../schema/service.ts';
import { SqliteDatasetStore } from '../catalog/sqlite-store.ts';
import { CatalogService } from '../catalog/service.ts';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { IngestService } from '../ingest/service.ts';
import type { RecordStore } from '../ingest/record-store.ts';

export interface Platform {
  config: Readonly<Config>;
  metrics: Metrics;
  db: SqliteDatabase;
  tenancy: TenancyService;
  schemas: SchemaService;
  catalog: CatalogService;
  records: RecordStore;
  ingest: IngestService;
  /** Stops background work and closes storage. */
  close(): Promise<void>;
}

export async function openPlatform(config: Readonly<Config>): Promise<Platform> {
  const metrics = createMetrics();
  const db = openSqlite(join(config.dataDir, 'meridian.db'), config.durability);

  const tenancy = new TenancyService(new SqliteTenancyStore(db));
  const schemas = new SchemaService(new SqliteSchemaStore(db));
  const catalog = new CatalogService(new SqliteDatasetStore(db), schemas);
  const records = new SqliteRecordStore(db);
  const ingest = new IngestService(records, schemas, {
    accepted: (sandbox, source, n) => metrics.recordsAccepted.inc({ sandbox, source }, n),
    rejected: (sandbox, source, n) => metrics.recordsRejected.inc({ sandbox, source }, n),
    duplicate: (sandbox, source, n) => metrics.recordsDuplicate.inc({ sandbox, source }, n),
  });

  schemas.setUsageSource({
    usage: async (sandboxId, schemaId) => {
      const datasets = (await catalog.list(sandboxId)).filter((d) => d.schemaId === schemaId);
      let holdsData = false;
      for (const d of datasets) if ((await records.countByDataset(sandboxId, d.id)) > 0) holdsData = true;
      return { datasets: datasets.length, holdsData };
    },
  });
  catalog.onDatasetDeleted((sandboxId, dataset) => records.deleteDataset(sandboxId, dataset.id));
  tenancy.onSandboxCreated((sandbox) => schemas.seedSandbox(sandbox.id));
  tenancy.onSandboxDeleted(async (sandbox) => {
    await catalog.deleteSandbox(sandbox.id);
    await records.deleteSandbox(sandbox.id);
    await schemas.deleteSandbox(sandbox.id);
  });

  const platform: Platform = {
    config,
    metrics,
    db,
    tenancy,
    schemas,
    catalog,
    records,
    ingest,
    async close() {
      db.close();
    },
  };
  return platform;
}

/** First start: organization, sandbox `prod` with the standard schemas, an admin key. */
export async function bootstrapPlatform(platform: Platform) {
  const result = await platform.tenancy.bootstrap(platform.config.adminKey ? { adminKey: platform.config.adminKey } : {});
  for (const sandbox of await platform.tenancy.listSandboxes()) await platform.schemas.seedSandbox(sandbox.id);
  return result;
}
