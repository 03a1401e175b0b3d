/**
 * Identity and profile benchmark, in process (no HTTP):
 * - stitching: 1,000,000 identity links (500,000 records each carrying a device ID and a CRM ID,
 *   a quarter of them returning devices that join an existing person) through IdentityService →
 *   SQLite; time, links/s and RSS growth, against a baseline of plain SQLite inserts of the same
 *   number of rows measured in the same run;
 * - profile lookup by identity (graph + fragments + merge) p50/p99 against a bare fragment read;
 * - edge projection: heap bytes per profile held hot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../packages/server/src/app/config.ts';
import { bootstrapPlatform, openPlatform } from '../packages/server/src/app/platform.ts';
import { identityKey } from '../packages/server/src/identity/graph.ts';
import { IdentityService } from '../packages/server/src/identity/service.ts';
import { SqliteIdentityStore } from '../packages/server/src/identity/sqlite-store.ts';
import { openSqlite } from '../packages/server/src/storage/sqlite.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger, formatMiB, formatMs, formatRatio, summarizeLatencies } from './lib/stats.ts';

const NAME = 'profile';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function ecid(n: number): string {
  return String(n).padStart(38, '0');
}

async function stitching(dir: string) {
  const records = Math.round(500_000 * benchScale());
  const db = openSqlite(join(dir, 'identity.db'));
  const identity = new IdentityService(new SqliteIdentityStore(db));
  gc();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  // In chunks, as the profile projector links the records of one slice of the record log.
  for (let start = 0; start < records; start += 2000) {
    const items = [];
    for (let i = start; i < Math.min(records, start + 2000); i++) {
      // every fourth record is a second device of an earlier person: a merge into an existing graph
      const person = i % 4 === 3 ? i - 1 : i;
      items.push({
        identities: [
          { key: identityKey('ECID', ecid(i)), namespace: 'ECID', value: ecid(i), type: 'cookie' as const },
          { key: identityKey('CRMID', `c${person}`), namespace: 'CRMID', value: `c${person}`, type: 'cross_device' as const },
        ],
        datasetId: 'ds',
        at: i,
      });
    }
    await identity.linkBatch('sbx', items);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  const stats = await identity.stats('sbx');
  db.close();

  // Baseline: the same number of identity rows written by plain prepared inserts in one transaction each.
  const base = openSqlite(join(dir, 'baseline.db'));
  base.exec('CREATE TABLE t (sandbox_id TEXT, ns TEXT, value TEXT, graph_id TEXT, PRIMARY KEY (sandbox_id, ns, value)) WITHOUT ROWID');
  const insert = base.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const write = base.transaction((i: number) => {
    insert.run('sbx', 'ECID', ecid(i), `g${i}`);
    insert.run('sbx', 'CRMID', `c${i}`, `g${i}`);
  });
  const baseStarted = performance.now();
  for (let i = 0; i < records; i++) write(i);
  const baseSeconds = (performance.now() - baseStarted) / 1000;
  base.close();
  return { links: records * 2, seconds, rssGrowth, graphs: stats.graphs, identities: stats.identities, baseSeconds };
}

async function lookups(dir: string) {
  const people = Math.round(50_000 * benchScale());
  const platform = await openPlatform(
    loadConfig({ MERIDIAN_DATA_DIR: join(dir, 'platform'), MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_ADMIN_KEY: 'mrd_bench_profile_key_0123456789' }),
  );
  await platform.startThreads(); // as a server starts (app/start.ts)
  await bootstrapPlatform(platform);
  const sandbox = await platform.tenancy.getSandbox('prod');
  const crm = await platform.catalog.create(sandbox.id, { name: 'crm', schemaId: 'profile', profileEnabled: true });
  const loyalty = await platform.catalog.create(sandbox.id, { name: 'loyalty', schemaId: 'profile', profileEnabled: true });
  const loadStarted = performance.now();
  for (let start = 0; start < people; start += 500) {
    const batch = [];
    const extra = [];
    for (let i = start; i < Math.min(people, start + 500); i++) {
      batch.push({
        crm: { crmId: `c${i}`, customerSince: '2020-01-01', lifetimeValue: i % 1000 },
        personalEmail: { address: `person${i}@example.com` },
        person: { name: { firstName: 'Ann', lastName: `Person${i}` }, birthDate: '1990-05-01' },
        homeAddress: { city: 'Oslo', countryCode: 'NO', postalCode: '0150' },
        consents: { marketing: { email: { val: 'y' } } },
      });
      extra.push({ crm: { crmId: `c${i}` }, loyalty: { tier: ['gold', 'silver', 'bronze'][i % 3], points: i % 5000, program: 'runners' } });
    }
    await platform.ingest.accept(sandbox.id, crm, batch, { source: 'bench' });
    await platform.ingest.accept(sandbox.id, loyalty, extra, { source: 'bench' });
  }
  // Profiles are projected in their own thread: the load is done when every person is readable.
  await platform.settleProfiles();
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  const samples = Math.min(20_000, people);
  const lookupMs: number[] = [];
  for (let n = 0; n < samples; n++) {
    const i = (n * 7919) % people;
    const t = performance.now();
    const profile = await platform.profiles.lookup(sandbox.id, 'Email', `person${i}@example.com`);
    lookupMs.push(performance.now() - t);
    if (!profile) throw new Error(`profile ${i} missing`);
  }
  const baselineMs: number[] = [];
  const read = platform.db.prepare('SELECT attributes FROM profile_fragments WHERE sandbox_id = ? AND identity = ?');
  for (let n = 0; n < samples; n++) {
    const i = (n * 7919) % people;
    const t = performance.now();
    JSON.parse((read.get(sandbox.id, identityKey('CRMID', `c${i}`)) as { attributes: string }).attributes);
    baselineMs.push(performance.now() - t);
  }

  // Edge projection: heap per person held hot.
  const hot = Math.min(people, Math.round(50_000 * benchScale()));
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < hot; i++) await platform.edgeProjection.get(sandbox.id, identityKey('CRMID', `c${i}`));
  gc();
  const bytesPerProfile = (process.memoryUsage().heapUsed - heapBefore) / platform.edgeProjection.stats().people;
  const edgeMs: number[] = [];
  for (let n = 0; n < samples; n++) {
    const t = performance.now();
    await platform.edgeProjection.get(sandbox.id, identityKey('Email', `person${(n * 7919) % hot}@example.com`));
    edgeMs.push(performance.now() - t);
  }
  await platform.close();
  return { people, loadSeconds, lookup: summarizeLatencies(lookupMs), baseline: summarizeLatencies(baselineMs), edge: summarizeLatencies(edgeMs), bytesPerProfile, hot };
}

export async function runProfile(): Promise<BenchmarkReport> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-profile-'));
  try {
    say(NAME, 'stitching identity links…');
    const s = await stitching(dir);
    say(NAME, `${formatInteger(s.links)} links in ${s.seconds.toFixed(1)} s; loading profiles…`);
    const l = await lookups(dir);
    return {
      benchmark: NAME,
      figures: [
        { measure: 'identity links stitched', value: `${formatInteger(s.links)} in ${s.seconds.toFixed(1)} s (${formatInteger(s.links / s.seconds)}/s)` },
        { measure: 'stitching vs plain inserts', value: formatRatio(s.seconds / s.baseSeconds) + ' slower' },
        { measure: 'RSS growth while stitching', value: formatMiB(s.rssGrowth) },
        { measure: 'graphs / identities', value: `${formatInteger(s.graphs)} / ${formatInteger(s.identities)}` },
        { measure: 'profile records projected', value: `${formatInteger(l.people * 2)} in ${l.loadSeconds.toFixed(1)} s (${formatInteger((l.people * 2) / l.loadSeconds)}/s)` },
        { measure: 'profile lookup p50 / p99', value: `${formatMs(l.lookup.p50Ms)} / ${formatMs(l.lookup.p99Ms)}`, target: 'p99 ≤ 1 ms', met: l.lookup.p99Ms <= 1 },
        { measure: 'lookup p50 vs bare fragment read', value: formatRatio(l.lookup.p50Ms / l.baseline.p50Ms) },
        { measure: 'edge projection hit p50 / p99', value: `${formatMs(l.edge.p50Ms)} / ${formatMs(l.edge.p99Ms)}` },
        { measure: 'edge projection bytes/profile', value: `${formatInteger(l.bytesPerProfile)} B (${formatInteger(l.hot)} hot)`, target: '≤ 1,024 B', met: l.bytesPerProfile <= 1024 },
      ],
      notes: [
        'stitching: IdentityService.linkBatch over SQLite in slices of 2,000 records (as the projector does), 2 identities per record, every 4th a returning person (graph merge)',
        'lookup: ProfileService.lookup by email (graph read + 2 fragments merged timestamp-ordered); baseline: one fragment row read + JSON.parse',
        'edge bytes: V8 heap growth after gc divided by people held (profile of ~12 attributes)',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
