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
import { SAFETY_NET_CHECKPOINT_PAGES, startCheckpointer } from '../storage/checkpointer.ts';
import { SqliteTenancyStore } from '../tenancy/sqlite-store.ts';
import { TenancyService } from '../tenancy/service.ts';
import { SqliteSchemaStore } from '../schema/sqlite-store.ts';
import { SchemaService } from '../schema/service.ts';
import { SqliteDatasetStore } from '../catalog/sqlite-store.ts';
import { CatalogService } from '../catalog/service.ts';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { IngestService } from '../ingest/service.ts';
import type { RecordStore } from '../ingest/record-store.ts';
import { SqliteIdentityStore } from '../identity/sqlite-store.ts';
import { IdentityService } from '../identity/service.ts';
import { SqliteProfileStore } from '../profile/sqlite-store.ts';
import { ProfileService } from '../profile/service.ts';
import { ProjectorWorker } from '../profile/projector-worker-client.ts';
import { planProjectionFromServices } from '../profile/projection-plans.ts';
import { EdgeProjection } from '../profile/edge-projection.ts';
import { PrivacyService } from '../profile/privacy.ts';
import { identityWarningCheck } from '../identity/ingest-check.ts';
import { SqliteAudienceStore } from '../segmentation/audiences/sqlite-store.ts';
import { AudienceService } from '../segmentation/audiences/service.ts';
import { SqliteMembershipStore } from '../segmentation/memberships/sqlite-store.ts';
import type { MembershipStore } from '../segmentation/memberships/store.ts';
import { StreamingAudiences } from '../segmentation/memberships/streaming.ts';
import { SqliteBatchStore } from '../ingest/batch/sqlite-batch-store.ts';
import { BatchService } from '../ingest/batch/service.ts';
import { Lake } from '../lake/lake.ts';
import { RetentionSweeper } from '../catalog/retention.ts';
import { QueryService } from '../lake/query-service.ts';

export interface Platform {
  config: Readonly<Config>;
  metrics: Metrics;
  db: SqliteDatabase;
  tenancy: TenancyService;
  schemas: SchemaService;
  catalog: CatalogService;
  records: RecordStore;
  ingest: IngestService;
  identity: IdentityService;
  profiles: ProfileService;
  edgeProjection: EdgeProjection;
  privacy: PrivacyService;
  audiences: AudienceService;
  memberships: MembershipStore;
  streamingAudiences: StreamingAudiences;
  /** Batch file ingestion (CSV, JSON lines, Parquet), processed in worker threads. */
  batches: BatchService;
  /** The columnar lake: typed Parquet per sandbox, dataset and day, following the record log. */
  lake: Lake;
  /** Read-only SQL over a sandbox's datasets. */
  query: QueryService;
  /** Resolves once every accepted record has reached the identity graph and profile store. */
  settleProfiles(): Promise<void>;
  /** The thread projecting the record log into identities and profiles. */
  profileProjection: ProjectorWorker;
  /** Stops background work and closes storage. */
  close(): Promise<void>;
}

export async function openPlatform(config: Readonly<Config>): Promise<Platform> {
  const metrics = createMetrics();
  const dbPath = join(config.dataDir, 'meridian.db');
  const db = openSqlite(dbPath, config.durability, SAFETY_NET_CHECKPOINT_PAGES);
  const checkpointer = startCheckpointer(dbPath, 250, (message) => process.emitWarning(`WAL checkpoint failed: ${message}`));

  const tenancy = new TenancyService(new SqliteTenancyStore(db));
  const schemas = new SchemaService(new SqliteSchemaStore(db));
  const catalog = new CatalogService(new SqliteDatasetStore(db), schemas);
  const records = new SqliteRecordStore(db);
  const ingest = new IngestService(records, schemas, {
    accepted: (sandbox, source, n) => metrics.recordsAccepted.inc({ sandbox, source }, n),
    rejected: (sandbox, source, n) => metrics.recordsRejected.inc({ sandbox, source }, n),
    duplicate: (sandbox, source, n) => metrics.recordsDuplicate.inc({ sandbox, source }, n),
  });

  const identity = new IdentityService(new SqliteIdentityStore(db));
  const profileStore = new SqliteProfileStore(db);
  const profiles = new ProfileService(profileStore, identity, records);
  const edgeProjection = new EdgeProjection(profiles, { maxProfiles: config.edgeProjectionMaxProfiles, attributes: [] });
  // Identities and profiles are projected from the log in their own thread, with their own connection.
  const projector = new ProjectorWorker({
    workerData: { databasePath: dbPath, durability: config.durability, autoCheckpointPages: SAFETY_NET_CHECKPOINT_PAGES },
    plans: planProjectionFromServices(catalog, schemas, identity),
    onProfileChanged: (sandboxId, keys) => void edgeProjection.refresh(sandboxId, keys),
    onError: (err, seq) => process.emitWarning(seq === undefined ? err.message : `profile projection skipped record ${seq}: ${err.message}`),
    onApplied: (sandboxId, keys) => {
      streamingAudiences.evaluate(sandboxId, keys).catch((err: Error) => process.emitWarning(`streaming audience evaluation failed: ${err.message}`));
    },
  });
  const audiences = new AudienceService(new SqliteAudienceStore(db), schemas, profiles);
  const memberships = new SqliteMembershipStore(db);
  const streamingAudiences = new StreamingAudiences(audiences, memberships, profiles);
  /** Profiles, graphs and streaming memberships reflect every accepted record once this resolves. */
  const settleProfiles = async () => {
    await projector.catchUp();
    await streamingAudiences.idle();
  };
  audiences.onDeleted((sandboxId, audienceId) => memberships.deleteAudience(sandboxId, audienceId));
  profiles.addEnricher(async (sandboxId, profile) => {
    for (const m of await memberships.forProfile(sandboxId, profile.profileId)) {
      profile.segmentMembership.ups[m.audienceId] = { status: m.status, lastQualificationTime: new Date(m.lastQualificationTime).toISOString() };
    }
  });
  // Profiles follow ingestion without holding up its answer: reads that need them settle first.
  ingest.onAccepted((accepted) => {
    if (accepted.seqs.length > 0) projector.nudge();
  });
  ingest.addWarningCheck(identityWarningCheck(identity, schemas));
  const privacy = new PrivacyService({
    db,
    dataDir: config.dataDir,
    identity,
    profiles,
    profileStore,
    records,
    audit: (entry) => tenancy.audit(entry),
    settle: settleProfiles,
  });
  privacy.addEraser(async (sandboxId, person) => edgeProjection.forget(sandboxId, person.identities));
  privacy.addEraser((sandboxId, person) => memberships.deleteProfile(sandboxId, person.profileId));
  const batches = new BatchService(new SqliteBatchStore(db), catalog, schemas, records, {
    dataDir: config.dataDir,
    databasePath: join(config.dataDir, 'meridian.db'),
    durability: config.durability,
    maxBytes: config.batchMaxBytes,
    metrics,
    // Batch workers write the record log directly; profiles follow the log, so a nudge per chunk is
    // enough, and a batch never waits for projection (the lag sits in the log, not in memory).
    onChunkWritten: () => void settleProfiles().catch((err: Error) => process.emitWarning(`profile projection after a batch chunk failed: ${err.message}`)),
  });

  const lake = await Lake.open({
    dataDir: config.dataDir,
    db,
    records,
    catalog,
    schemas,
    flushIntervalMs: config.lakeFlushIntervalMs,
    metrics: { pendingRecords: (n) => metrics.lakePendingRecords.set(n), flushSeconds: (s) => metrics.lakeFlushDuration.observe(s) },
    onError: (err) => process.emitWarning(`lake flush failed (retried on the next tick): ${(err as Error).message}`),
  });
  const query = new QueryService(lake, { observe: (seconds) => metrics.queryDuration.observe(seconds) });

  schemas.setUsageSource({
    usage: async (sandboxId, schemaId) => {
      const datasets = (await catalog.list(sandboxId)).filter((d) => d.schemaId === schemaId);
      let holdsData = false;
      for (const d of datasets) if ((await records.countByDataset(sandboxId, d.id)) > 0) holdsData = true;
      return { datasets: datasets.length, holdsData };
    },
  });
  // Batches first: a worker still writing the dataset is stopped before its records are deleted.
  catalog.onDatasetDeleted((sandboxId, dataset) => batches.deleteDataset(sandboxId, dataset.id));
  catalog.onDatasetDeleted((sandboxId, dataset) => records.deleteDataset(sandboxId, dataset.id));
  catalog.onDatasetDeleted((sandboxId, dataset) => lake.deleteDataset(sandboxId, dataset.id));
  tenancy.onSandboxDeleted((sandbox) => lake.deleteSandbox(sandbox.id));
  privacy.addEraser(async (sandboxId, person) => {
    await lake.deleteRecords(sandboxId, person.recordSeqs);
  });
  tenancy.onSandboxCreated((sandbox) => schemas.seedSandbox(sandbox.id));
  tenancy.onSandboxCreated((sandbox) => profiles.seedSandbox(sandbox.id));
  catalog.onDatasetDeleted((sandboxId, dataset) => profileStore.deleteDataset(sandboxId, dataset.id));
  tenancy.onSandboxDeleted(async (sandbox) => {
    await catalog.deleteSandbox(sandbox.id);
    await records.deleteSandbox(sandbox.id);
    await schemas.deleteSandbox(sandbox.id);
    await identity.deleteSandbox(sandbox.id);
    await profiles.deleteSandbox(sandbox.id);
    privacy.deleteSandbox(sandbox.id);
    await audiences.deleteSandbox(sandbox.id);
    await memberships.deleteSandbox(sandbox.id);
    edgeProjection.forgetSandbox(sandbox.id);
  });

  lake.start();
  const retention = new RetentionSweeper(
    catalog,
    [(s, d, before) => records.expire(s, d, before), (s, d, before) => lake.expire(s, d, before), (s, d, before) => profileStore.expire(s, d, before)],
    (err) => process.emitWarning(`retention sweep failed (retried on the next interval): ${(err as Error).message}`),
  );
  retention.start(config.retentionIntervalMs);
  const platform: Platform = {
    config,
    metrics,
    db,
    tenancy,
    schemas,
    catalog,
    records,
    ingest,
    identity,
    profiles,
    edgeProjection,
    privacy,
    audiences,
    memberships,
    streamingAudiences,
    settleProfiles,
    profileProjection: projector,
    batches,
    lake,
    query,
    async close() {
      await retention.stop();
      await batches.close();
      await projector.catchUp().catch(() => undefined);
      await projector.close();
      query.close();
      await lake.close();
      await checkpointer.stop();
      db.close();
    },
  };
  return platform;
}

/** First start: organization, sandbox `prod` with the standard schemas, an admin key. */
export async function bootstrapPlatform(platform: Platform) {
  const result = await platform.tenancy.bootstrap(platform.config.adminKey ? { adminKey: platform.config.adminKey } : {});
  // Sandboxes are seeded (standard schemas, default merge policy) once, when created, so a
  // deleted standard schema stays deleted.
  // Records acknowledged before a crash but not yet projected into profiles are applied now.
  await platform.settleProfiles();
  return result;
}
