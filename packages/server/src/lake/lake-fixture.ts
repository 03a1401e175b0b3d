/**
 * Test fixture for the lake: the real schema, catalog, record log and ingest services on a
 * temporary SQLite database, and a lake over them, without the HTTP server.
 *
 * @example
 *   const fx = await openLakeFixture();
 *   const ds = await fx.dataset('sbx_a', 'web_events');
 *   await fx.ingest('sbx_a', ds, [{ _id: 'e1', timestamp: '2026-11-01T10:00:00Z' }]);
 *   await fx.lake.flush();
 *   await fx.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.ts';
import { SchemaService } from '../schema/service.ts';
import { SqliteSchemaStore } from '../schema/sqlite-store.ts';
import { CatalogService } from '../catalog/service.ts';
import { SqliteDatasetStore } from '../catalog/sqlite-store.ts';
import type { Dataset } from '../catalog/model.ts';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { IngestService } from '../ingest/service.ts';
import { Lake, type LakeOptions } from './lake.ts';
import { QueryService, type QueryOptions } from './query-service.ts';

export interface LakeFixture {
  dataDir: string;
  db: SqliteDatabase;
  schemas: SchemaService;
  catalog: CatalogService;
  records: SqliteRecordStore;
  lake: Lake;
  query: QueryService;
  /** Creates a dataset (standard `experience-event` schema unless another is named). */
  dataset(sandboxId: string, name: string, schemaId?: string): Promise<Dataset>;
  /** Ingests records; throws if any is rejected. */
  ingest(sandboxId: string, dataset: Dataset, records: unknown[]): Promise<void>;
  /** Runs SQL with generous limits. */
  sql(sandboxId: string, sql: string, options?: Partial<QueryOptions>): ReturnType<QueryService['query']>;
  /** Closes the lake and opens it again over the same data (as after a restart). */
  reopenLake(): Promise<void>;
  /** Closes everything and removes the data directory. */
  close(): Promise<void>;
}

export interface LakeFixtureOptions extends Partial<Pick<LakeOptions, 'metrics' | 'sliceSize'>> {
  /** SQLite in memory: the lake then flushes in-process (a worker thread cannot open it). */
  inMemoryDatabase?: boolean;
}

export async function openLakeFixture({ inMemoryDatabase = false, ...options }: LakeFixtureOptions = {}): Promise<LakeFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-lake-'));
  const db = openSqlite(inMemoryDatabase ? ':memory:' : join(dataDir, 'meridian.db'));
  const schemas = new SchemaService(new SqliteSchemaStore(db));
  const catalog = new CatalogService(new SqliteDatasetStore(db), schemas);
  const records = new SqliteRecordStore(db);
  const ingest = new IngestService(records, schemas);
  const seeded = new Set<string>();
  const openLake = () => Lake.open({ dataDir, db, records, catalog, schemas, flushIntervalMs: 60_000, ...options });
  const fixture: LakeFixture = {
    dataDir,
    db,
    schemas,
    catalog,
    records,
    lake: await openLake(),
    query: undefined as unknown as QueryService,
    async dataset(sandboxId, name, schemaId = 'experience-event') {
      if (!seeded.has(sandboxId)) {
        await schemas.seedSandbox(sandboxId);
        seeded.add(sandboxId);
      }
      return catalog.create(sandboxId, { name, schemaId });
    },
    async ingest(sandboxId, dataset, input) {
      const outcome = await ingest.accept(sandboxId, dataset, input, { source: 'test' });
      if (outcome.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(outcome.rejected)}`);
    },
    sql(sandboxId, text, limits = {}) {
      return fixture.query.query(sandboxId, text, { timeoutMs: 20_000, maxRows: 10_000, ...limits });
    },
    async reopenLake() {
      fixture.query.close();
      await fixture.lake.close();
      fixture.lake = await openLake();
      fixture.query = new QueryService(fixture.lake);
    },
    async close() {
      fixture.query.close();
      await fixture.lake.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  fixture.query = new QueryService(fixture.lake);
  return fixture;
}
