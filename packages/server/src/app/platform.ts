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
import { WriteGate } from '../storage/write-gate.ts';
import { SAFETY_NET_CHECKPOINT_PAGES, startCheckpointer } from '../storage/checkpointer.ts';
import { EventLoopGauge } from '../storage/load-gauge.ts';
import { SqliteTenancyStore } from '../tenancy/sqlite-store.ts';
import { TenancyService } from '../tenancy/service.ts';
import { SqliteSchemaStore } from '../schema/sqlite-store.ts';
import { SchemaService } from '../schema/service.ts';
import { SqliteDatasetStore } from '../catalog/sqlite-store.ts';
import { CatalogService } from '../catalog/service.ts';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { moveRecordLog, recordLogPath } from '../ingest/record-log-file.ts';
import { RecordLogWriter } from '../ingest/record-log-writer.ts';
import { IngestService } from '../ingest/service.ts';
import type { RecordStore } from '../ingest/record-store.ts';
import { SqliteIdentityStore } from '../identity/sqlite-store.ts';
import { IdentityService } from '../identity/service.ts';
import { SqliteProfileStore } from '../profile/sqlite-store.ts';
import { ProfileService } from '../profile/service.ts';
import { ProjectorWorker } from '../profile/projector-worker-client.ts';
import { planProjectionFromServices } from '../profile/projection-plans.ts';
import { PlanVersion } from '../profile/plan-cache.ts';
import { FOLLOWER_NICENESS, lowerThreadPoolPriority } from '../storage/thread-priority.ts';
import { EdgeProjection } from '../profile/edge-projection.ts';
import { PrivacyService } from '../profile/privacy.ts';
import { identityWarningCheck } from '../identity/ingest-check.ts';
import { SqliteAudienceStore } from '../segmentation/audiences/sqlite-store.ts';
import { AudienceService } from '../segmentation/audiences/service.ts';
import { SqliteMembershipStore } from '../segmentation/memberships/sqlite-store.ts';
import { MembershipBulkWriter } from '../segmentation/memberships/bulk-writer.ts';
import type { MembershipStore } from '../segmentation/memberships/store.ts';
import { sqlitePassWriter } from '../segmentation/memberships/sqlite-pass-writer.ts';
import { StreamingAudiences } from '../segmentation/memberships/streaming.ts';
import { handFutureEntrantsToStreaming, handTimedChangesToStreaming } from '../segmentation/memberships/job-handover.ts';
import { SqliteComputedAttributeStore } from '../segmentation/computed/sqlite-store.ts';
import { COMPUTED_ATTRIBUTE_SWEEP_MS, ComputedAttributeService } from '../segmentation/computed/service.ts';
import { systemClock, type Clock } from '../segmentation/memberships/clock.ts';
import { SqliteDueStore, SqliteIdentityOwnerStore } from '../segmentation/memberships/sqlite-timing-store.ts';
import { MembershipTimers } from '../segmentation/memberships/timers.ts';
import { keepEdgeMembershipsFresh } from '../segmentation/memberships/edge-freshness.ts';
import { SqliteExternalAudienceStore } from '../segmentation/external/sqlite-store.ts';
import { withExternalAudiences } from '../segmentation/external/audience-store.ts';
import { ExternalAudienceService } from '../segmentation/external/service.ts';
import { SqliteBatchStore } from '../ingest/batch/sqlite-batch-store.ts';
import { BatchService } from '../ingest/batch/service.ts';
import { Lake } from '../lake/lake.ts';
import { RetentionSweeper } from '../catalog/retention.ts';
import { QueryService } from '../lake/query-service.ts';
import { SqliteDatastreamStore } from '../edge/datastreams/sqlite-store.ts';
import { DatastreamService } from '../edge/datastreams/service.ts';
import { SqliteSourceStore } from '../edge/segment-spec/sqlite-store.ts';
import { INGEST_SOURCE, SourceService } from '../edge/segment-spec/service.ts';
import { SqliteJobStore } from '../segmentation/jobs/sqlite-store.ts';
import { AudienceJobService } from '../segmentation/jobs/service.ts';
import { AudienceEstimator } from '../segmentation/estimate/estimate.ts';
import { SqliteGovernanceStore } from '../governance/sqlite-store.ts';
import { GovernanceService } from '../governance/service.ts';
import { ActivationService } from '../activation/service.ts';
import { SqliteActivationStore } from '../activation/sqlite-store.ts';
import { MembershipOutbox, OUTBOX_WRITER_MODULE } from '../activation/membership-outbox.ts';
import { activationSources } from '../activation/platform-sources.ts';
import { governanceActivationGuard } from '../governance/activation-guard.ts';
import { SqliteDecisioningStore } from '../decisioning/sqlite-store.ts';
import { DecisioningService } from '../decisioning/service.ts';
import { EdgePipeline } from '../edge/pipeline.ts';
import { EdgeAudiences } from '../edge/edge-audiences.ts';
import { RecentEvents } from '../edge/recent-events.ts';
import { CampaignService } from '../campaign/service.ts';

export interface Platform {
  config: Readonly<Config>;
  metrics: Metrics;
  db: SqliteDatabase;
  /** The record log's own database (`records.db`): records, rejected records, batch checkpoints. */
  recordsDb: SqliteDatabase;
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
  /** Aggregates of each profile's events over a window, at `computedAttributes.<name>`. */
  computedAttributes: ComputedAttributeService;
  /** Time-based entries and exits: one timer for the earliest due membership change. */
  membershipTimers: MembershipTimers;
  /** Audiences of uploaded identities (CSV), kept as ordinary memberships. */
  externalAudiences: ExternalAudienceService;
  /** Batch file ingestion (CSV, JSON lines, Parquet), processed in worker threads. */
  batches: BatchService;
  /** The columnar lake: typed Parquet per sandbox, dataset and day, following the record log. */
  lake: Lake;
  /** Read-only SQL over a sandbox's datasets. */
  query: QueryService;
  /** Edge datastreams (configIds) and `resolveDatastream`, the edge's cached lookup. */
  datastreams: DatastreamService;
  /** Segment-spec sources: write keys and the mapping of tracking-spec messages into datasets. */
  sources: SourceService;
  /** Batch segmentation jobs (run now or on the sandbox's schedule), size history. */
  audienceJobs: AudienceJobService;
  /** Audience size estimates from a sample, while editing. */
  audienceEstimator: AudienceEstimator;
  /** Labels, marketing actions, policies and `evaluateUsage`, the check activations call. */
  governance: GovernanceService;
  /** Destinations, activations and the delivery engine (outbox, per-activation queues, retries, dead letters). */
  activations: ActivationService;
  /** Offers, activities, `decide()` over in-memory snapshots of live activities, impressions, conversions, reports. */
  decisioning: DecisioningService;
  /** Campaign tool logs coming back (delivery, tracking, quarantine) as events, deliverability and consent. */
  campaign: CampaignService;
  /** The edge hot path (interact, Target delivery): identities, edge projection, edge audiences, decide, durable write. */
  edge: EdgePipeline;
  /** Resolves once every accepted record has reached the identity graph and profile store. */
  settleProfiles(): Promise<void>;
  /**
   * Starts the record log's writer thread and the profile projector's thread now, not when the
   * first records arrive, and resolves once both have loaded and opened their databases. A server
   * calls it before it listens.
   */
  startThreads(): Promise<void>;
  /** The thread projecting the record log into identities and profiles. */
  profileProjection: ProjectorWorker;
  /** Stops background work and closes storage. */
  close(): Promise<void>;
}

/**
 * Records an append may hold and still be committed on the event loop when the log's thread is
 * idle (an edge request's event, a few single-record requests of one turn). A commit here costs
 * the loop a fixed ~50–80 µs plus ~5–10 µs a record, the crossing ~100 µs whatever the size: at
 * 5,000 events/s in requests of 25, committing them here took the loop's last spare time.
 */
const DIRECT_APPEND_RECORDS = 8;

/** What tests may replace: the clock of streaming memberships and their timers. */
export interface PlatformOptions {
  clock?: Clock;
}

export async function openPlatform(config: Readonly<Config>, options: PlatformOptions = {}): Promise<Platform> {
  const metrics = createMetrics();
  // Bulk work on libuv's pool (the lake's DuckDB queries, exports, uploads being staged) yields the CPU to requests.
  await lowerThreadPoolPriority(FOLLOWER_NICENESS);
  const dbPath = join(config.dataDir, 'meridian.db');
  // The event loop, the projector and the lake's worker write this file: the event loop goes first.
  const writeGate = new WriteGate();
  const db = openSqlite(dbPath, config.durability, SAFETY_NET_CHECKPOINT_PAGES, undefined, writeGate);
  const checkpointer = startCheckpointer(dbPath, 250, (message) => process.emitWarning(`WAL checkpoint failed: ${message}`));
  // The record log has a file (and so a write lock) of its own: ingestion never waits behind projection.
  const recordsPath = recordLogPath(config.dataDir);
  const recordsDb = openSqlite(recordsPath, config.durability, SAFETY_NET_CHECKPOINT_PAGES);
  const recordsCheckpointer = startCheckpointer(recordsPath, 250, (message) => process.emitWarning(`WAL checkpoint of the record log failed: ${message}`));

  const tenancy = new TenancyService(new SqliteTenancyStore(db));
  const schemas = new SchemaService(new SqliteSchemaStore(db));
  const catalog = new CatalogService(new SqliteDatasetStore(db), schemas);
  const records = new SqliteRecordStore(recordsDb);
  const batchStore = new SqliteBatchStore(recordsDb);
  moveRecordLog(recordsDb, dbPath);
  // Acknowledged writes are committed by the record log's own thread; the event loop parses and
  // validates. A small group while that thread is idle is committed here: cheaper than the crossing.
  const recordLog = new RecordLogWriter(
    { recordsPath, durability: config.durability, autoCheckpointPages: SAFETY_NET_CHECKPOINT_PAGES },
    { directUpTo: DIRECT_APPEND_RECORDS, counted: (where) => metrics.recordLogAppends.inc({ where }) },
  );
  const ingest = new IngestService(recordLog, schemas, {
    accepted: (sandbox, source, n) => metrics.recordsAccepted.inc({ sandbox, source }, n),
    rejected: (sandbox, source, n) => metrics.recordsRejected.inc({ sandbox, source }, n),
    duplicate: (sandbox, source, n) => metrics.recordsDuplicate.inc({ sandbox, source }, n),
  });

  const identity = new IdentityService(new SqliteIdentityStore(db));
  const profileStore = new SqliteProfileStore(db);
  const profiles = new ProfileService(profileStore, identity, records);
  const edgeProjection = new EdgeProjection(profiles, { maxProfiles: config.edgeProjectionMaxProfiles, attributes: [] });
  // Identities and profiles are projected from the log in their own thread, with their own connection.
  // Followers of the log read how busy the event loop is and step back while it is saturated.
  const loopGauge = new EventLoopGauge();
  // The projector keeps its plans until a dataset, schema, namespace or identity setting changes.
  const planVersion = new PlanVersion();
  for (const service of [catalog, schemas, identity]) service.onChange(() => planVersion.bump());
  const projector = new ProjectorWorker({
    workerData: {
      databasePath: dbPath,
      writeGate: writeGate.cells,
      recordsPath,
      durability: config.durability,
      autoCheckpointPages: SAFETY_NET_CHECKPOINT_PAGES,
      load: loopGauge.cell,
      planVersion: planVersion.buffer,
    },
    plans: planProjectionFromServices(catalog, schemas, identity),
    onProfileChanged: (sandboxId, keys) => void edgeProjection.refresh(sandboxId, keys),
    onError: (err, seq) => process.emitWarning(seq === undefined ? err.message : `profile projection skipped record ${seq}: ${err.message}`),
    onApplied: (sandboxId, keys) => {
      // Computed attributes first: their pass then queues the streaming audiences of the same people (onUpdated below).
      computedAttributes.refresh(sandboxId, keys).catch((err: Error) => process.emitWarning(`computed attribute update failed: ${err.message}`));
    },
  });
  const externalAudienceStore = new SqliteExternalAudienceStore(db);
  const audiences = new AudienceService(withExternalAudiences(new SqliteAudienceStore(db), externalAudienceStore), schemas, profiles);
  // A batch job's large puts run on a thread of their own (memberships/bulk-writer.ts), with their outbox rows (membership-outbox.ts).
  const memberships = new SqliteMembershipStore(db, new MembershipBulkWriter({ databasePath: dbPath, durability: config.durability, writeGate: writeGate.cells, module: OUTBOX_WRITER_MODULE }));
  const clock = options.clock ?? systemClock;
  const dueTimes = new SqliteDueStore(db);
  const identityOwners = new SqliteIdentityOwnerStore(db);
  const externalAudiences: ExternalAudienceService = new ExternalAudienceService(
    externalAudienceStore,
    identity,
    profiles,
    (sandboxId, keys): Promise<unknown> => streamingAudiences.evaluate(sandboxId, keys),
    () => clock.now(),
  );
  const activationStore = new SqliteActivationStore(db);
  // Set once the activation service exists; until then changes are queued when announced.
  let activationService: ActivationService | undefined;
  const membershipOutbox = new MembershipOutbox(activationStore, () => activationService);
  const streamingAudiences = new StreamingAudiences(audiences, memberships, profiles, {
    clock,
    dueTimes,
    owners: identityOwners,
    external: externalAudiences,
    // Entries and exits reach the activation outbox in the pass's own transaction.
    writePass: sqlitePassWriter(db, { memberships, dueTimes, owners: identityOwners, alongside: membershipOutbox.alongside }),
  });
  const membershipTimers = new MembershipTimers(dueTimes, (sandboxId, keys, at) => streamingAudiences.evaluate(sandboxId, keys, at), clock);
  streamingAudiences.onDueTime((at) => membershipTimers.schedule(at));
  keepEdgeMembershipsFresh(streamingAudiences, identityOwners, edgeProjection);
  audiences.onDeleted((sandboxId, audienceId) => dueTimes.deleteAudience(sandboxId, audienceId));
  /** Profiles, graphs and streaming memberships reflect every accepted record once this resolves. */
  const settleProfiles = async () => {
    await projector.catchUp();
    await computedAttributes.idle();
    await streamingAudiences.idle();
  };
  audiences.onDeleted((sandboxId, audienceId) => memberships.deleteAudience(sandboxId, audienceId));
  profiles.addEnricher('segmentMembership', async (sandboxId, people) => {
    const byId = new Map(people.map((p) => [p.profileId, p]));
    for (const m of await memberships.forProfiles(sandboxId, [...byId.keys()])) {
      const profile = byId.get(m.profileId);
      if (profile) profile.segmentMembership.ups[m.audienceId] = { status: m.status, lastQualificationTime: new Date(m.lastQualificationTime).toISOString() };
    }
  });
  const computedAttributes = new ComputedAttributeService({
    store: new SqliteComputedAttributeStore(db),
    profiles,
    events: { timeline: (sandboxId, keys, query) => profileStore.timeline(sandboxId, keys, query), bodies: (seqs) => profiles.eventBodies(seqs) },
    audiences,
    clock: () => clock.now(),
  });
  // Values are current before the streaming audiences that read them; the edge sees changed values.
  computedAttributes.onUpdated((sandboxId, keys) => {
    streamingAudiences.evaluate(sandboxId, keys).catch((err: Error) => process.emitWarning(`streaming audience evaluation failed: ${err.message}`));
  });
  computedAttributes.onChanged((sandboxId, keys) => void edgeProjection.refresh(sandboxId, keys));
  profiles.addEnricher('computedAttributes', async (sandboxId, people) => {
    for (const profile of people) await computedAttributes.enrich(sandboxId, profile);
  });
  computedAttributes.start(COMPUTED_ATTRIBUTE_SWEEP_MS);
  // Profiles follow ingestion without holding up its answer: reads that need them settle first.
  ingest.onAccepted((accepted) => {
    if (accepted.seqs.length === 0) return;
    if (accepted.dataset.class === 'event' && accepted.dataset.profileEnabled) profiles.rememberEvents(accepted.seqs, accepted.texts, accepted.records);
    projector.nudge();
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
  privacy.addEraser((sandboxId, person) => computedAttributes.forgetProfile(sandboxId, person.profileId, person.identities));
  privacy.addEraser(async (sandboxId, person) => {
    await dueTimes.deleteProfile(sandboxId, person.profileId);
    await identityOwners.deleteProfile(sandboxId, person.profileId);
    await externalAudienceStore.forgetIdentities(sandboxId, person.identities);
  });
  tenancy.onSandboxDeleted(async (sandbox) => {
    await dueTimes.deleteSandbox(sandbox.id);
    await identityOwners.deleteSandbox(sandbox.id);
  });
  const batches = new BatchService(batchStore, catalog, schemas, records, {
    dataDir: config.dataDir,
    databasePath: recordsPath,
    durability: config.durability,
    maxBytes: config.batchMaxBytes,
    warmWorker: config.batchWarmWorker,
    metrics,
    // Batch workers write the record log directly; profiles follow the log, so a nudge per chunk is
    // enough, and a batch never waits for projection (the lag sits in the log, not in memory).
    onChunkWritten: () => projector.nudge(),
  });
  // While a batch loads, the followers of the log step back further than for a saturated event loop.
  loopGauge.addBulkLoad(() => batches.loading);

  const lake = await Lake.open({
    dataDir: config.dataDir,
    db,
    recordsDb,
    records,
    catalog,
    schemas,
    flushIntervalMs: config.lakeFlushIntervalMs,
    metrics: { pendingRecords: (n) => metrics.lakePendingRecords.set(n), flushSeconds: (s) => metrics.lakeFlushDuration.observe(s) },
    onError: (err) => process.emitWarning(`lake flush failed (retried on the next tick): ${(err as Error).message}`),
  });
  const query = new QueryService(lake, { observe: (seconds) => metrics.queryDuration.observe(seconds) });
  const campaign = new CampaignService({ catalog, schemas, ingest, batches }, { dataDir: config.dataDir, maxBytes: config.batchMaxBytes });
  const datastreams = new DatastreamService(new SqliteDatastreamStore(db), catalog);
  const sources = new SourceService(new SqliteSourceStore(db), {
    catalog,
    schemas,
    identity,
    ingest,
    onRejected: (sandbox, n) => metrics.recordsRejected.inc({ sandbox, source: INGEST_SOURCE }, n),
  });
  catalog.onDatasetDeleted(async (sandboxId, dataset) => {
    await datastreams.datasetDeleted(sandboxId, dataset.id);
    await sources.datasetDeleted(sandboxId, dataset.id);
  });
  tenancy.onSandboxDeleted(async (sandbox) => {
    await datastreams.deleteSandbox(sandbox.id);
    await sources.deleteSandbox(sandbox.id);
  });
  const audienceJobs = new AudienceJobService({
    store: new SqliteJobStore(db),
    audiences,
    memberships: membershipOutbox.jobStore(memberships),
    profiles,
    sandboxIds: async () => (await tenancy.listSandboxes()).map((s) => s.id),
  });
  const audienceEstimator = new AudienceEstimator(audiences, profiles, memberships, async (sandboxId) => (await identity.stats(sandboxId)).graphs);
  audiences.onDeleted((sandboxId, audienceId) => audienceJobs.deleteAudience(sandboxId, audienceId));
  tenancy.onSandboxCreated((sandbox) => audienceJobs.startSchedule(sandbox.id));
  tenancy.onSandboxDeleted((sandbox) => audienceJobs.deleteSandbox(sandbox.id));
  const governance = new GovernanceService(new SqliteGovernanceStore(db), { catalog, schemas, profiles, audiences });
  tenancy.onSandboxDeleted((sandbox) => governance.deleteSandbox(sandbox.id));
  // Activation: entries and exits become outbox rows. Governance guards each activation when it
  // is saved and again before each delivery.
  const activations = await ActivationService.open({
    store: activationStore,
    sources: activationSources({ profiles, identity, audiences, memberships }),
    exportRoot: join(config.dataDir, 'exports'),
    guard: governanceActivationGuard(governance),
    metrics: {
      delivered: (type, n, seconds) => {
        metrics.activationDelivered.inc({ type }, n);
        metrics.activationDeliveryDuration.observe({ type }, seconds);
      },
      retried: (type, n) => metrics.activationRetries.inc({ type }, n),
      dead: (type, n) => metrics.activationDeadLetters.inc({ type }, n),
    },
    onError: (err) => process.emitWarning(`activation delivery failed (retried): ${err.message}`),
  });
  governance.onChange((sandboxId) => activations.governanceChanged(sandboxId));
  catalog.onDatasetDeleted(async (sandboxId) => activations.governanceChanged(sandboxId));
  // Dataset labels and schema field labels are governance too: verdicts cached before them are dropped.
  catalog.onDatasetUpdated((sandboxId) => activations.governanceChanged(sandboxId));
  schemas.onChange((sandboxId) => activations.governanceChanged(sandboxId));
  activationService = activations;
  // Streaming passes and audience jobs commit their entries' and exits' outbox rows with the
  // memberships themselves (activation/membership-outbox.ts): announced, they only wake queues.
  streamingAudiences.onChange((sandboxId, changes) => membershipOutbox.announced(sandboxId, changes));
  computedAttributes.onUpdated((sandboxId, keys) => activations.onProfilesUpdated(sandboxId, keys));
  audienceJobs.onChange(() => membershipOutbox.jobAnnounced());
  // A job keeps no timers: its entries and exits of time-based audiences get their due times from a streaming pass.
  audienceJobs.onChange(handTimedChangesToStreaming({ audiences, identity, streaming: streamingAudiences }));
  // So do the people it leaves outside who will enter with time alone: their entry gets armed.
  audienceJobs.onFutureEntrants(handFutureEntrantsToStreaming({ audiences, identity, streaming: streamingAudiences, dueTimes }));
  audiences.onDeleted((sandboxId, audienceId) => activations.audienceDeleted(sandboxId, audienceId));
  privacy.addEraser((sandboxId, person) => activations.profileDeleted(sandboxId, person.profileId));
  tenancy.onSandboxDeleted((sandbox) => activations.deleteSandbox(sandbox.id));
  // Decisioning: live activities compiled into per-sandbox snapshots in memory; auto-allocate epochs on a timer.
  const decisioning = new DecisioningService(new SqliteDecisioningStore(db), {
    audienceExists: (sandboxId, audienceId) => audiences.get(sandboxId, audienceId).then(() => true, () => false),
    onError: (err) => process.emitWarning(`decisioning: ${err.message}`),
  });
  await decisioning.load();
  decisioning.start();
  tenancy.onSandboxDeleted((sandbox) => decisioning.deleteSandbox(sandbox.id));
  // The edge hot path: edge audiences compiled once per version, recent edge events per device, decide(), durable write.
  const edgeAudiences = new EdgeAudiences(audiences, { onError: (err) => process.emitWarning(`edge audiences: ${err.message}`) });
  const recentEdgeEvents = new RecentEvents({ maxVisitors: config.edgeProjectionMaxProfiles });
  const edge = new EdgePipeline({
    datasets: catalog,
    schemas,
    ingest,
    projection: edgeProjection,
    audiences: edgeAudiences,
    recent: recentEdgeEvents,
    decisioning,
    onError: (err) => process.emitWarning(`edge decisioning record failed: ${err.message}`),
  });
  audiences.onDeleted(async (sandboxId) => edgeAudiences.invalidate(sandboxId));
  tenancy.onSandboxDeleted(async (sandbox) => {
    edgeAudiences.invalidate(sandbox.id);
    recentEdgeEvents.forgetSandbox(sandbox.id);
  });

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
    await computedAttributes.deleteSandbox(sandbox.id);
    edgeProjection.forgetSandbox(sandbox.id);
  });

  lake.start();
  const retention = new RetentionSweeper(
    catalog,
    [(s, d, before) => records.expire(s, d, before), (s, d, before) => lake.expire(s, d, before), (s, d, before) => profileStore.expire(s, d, before)],
    (err) => process.emitWarning(`retention sweep failed (retried on the next interval): ${(err as Error).message}`),
  );
  retention.start(config.retentionIntervalMs);
  // Jobs a restart interrupted are retried; every sandbox's schedule starts.
  await audienceJobs.start();
  // Due times survive restarts: the timer is armed from the table, overdue entries fire at once.
  await membershipTimers.start();
  const platform: Platform = {
    config,
    metrics,
    db,
    recordsDb,
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
    computedAttributes,
    membershipTimers,
    externalAudiences,
    settleProfiles,
    async startThreads() {
      await Promise.all([recordLog.start(), projector.start()]);
    },
    profileProjection: projector,
    batches,
    lake,
    query,
    datastreams,
    sources,
    audienceJobs,
    audienceEstimator,
    governance,
    activations,
    decisioning,
    edge,
    campaign,
    async close() {
      await activations.close();
      await decisioning.close();
      await audienceJobs.close();
      await memberships.close();
      await membershipTimers.stop();
      computedAttributes.stop();
      await retention.stop();
      await batches.close();
      await recordLog.close();
      await projector.catchUp().catch(() => undefined);
      await projector.close();
      loopGauge.stop();
      await computedAttributes.idle();
      query.close();
      await lake.close();
      await checkpointer.stop();
      await recordsCheckpointer.stop();
      db.close();
      recordsDb.close();
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
