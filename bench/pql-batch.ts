/**
 * Batch audience benchmark on the real job path: 1,000,000 generated profiles (JSON attributes)
 * with ~3 events each in an in-memory DuckDB (2 threads), 20 realistic audiences (attribute
 * filters, event counts in windows, sums, a two-step chain, an audience of audiences) evaluated by
 * the job's `prepareJobInput` (profile keys, event lists, profile fields) and `evaluateAndWrite`
 * (one query per audience in dependency order, transitions by one join), and every membership
 * written through the membership outbox's job store (each batch with its outbox rows in one
 * transaction, on the bulk writer's thread) into a database file opened as the platform opens it
 * (checkpoints in a worker), as a job does. Reports preparing the input, evaluating, writing, the total against
 * the 10 s target, and profiles/s; then, outside the total, the job's look-ahead for people who
 * will enter its clock-reading audiences with time alone (`time-entrants.ts`). Materializing
 * merged profiles from the profile store is not in this figure (the job reports it as
 * `timings.materializeMs`).
 * Profile and audience ids have the platform's shape (`SHORT_IDS` below). BENCH_SCALE shrinks
 * the profile count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOrThrow } from '../packages/server/src/segmentation/pql/parser.ts';
import { PQL_TABLES } from '../packages/server/src/segmentation/sql/input-layout.ts';
import { loadCurrentMemberships, prepareJobInput } from '../packages/server/src/segmentation/jobs/job-input.ts';
import { inputFieldsFor } from '../packages/server/src/segmentation/sql/input-fields.ts';
import { openPqlDatabase } from '../packages/server/src/segmentation/sql/test-support.ts';
import { JOB_DDL, type BatchAudience } from '../packages/server/src/segmentation/jobs/batch-evaluation.ts';
import { evaluateAndWrite } from '../packages/server/src/segmentation/jobs/evaluate-and-write.ts';
import { entryLookahead, futureEntrants } from '../packages/server/src/segmentation/jobs/time-entrants.ts';
import { usesClock } from '../packages/server/src/segmentation/evaluate/index.ts';
import { SqliteMembershipStore } from '../packages/server/src/segmentation/memberships/sqlite-store.ts';
import type { MembershipStore } from '../packages/server/src/segmentation/memberships/store.ts';
import { MembershipBulkWriter } from '../packages/server/src/segmentation/memberships/bulk-writer.ts';
import { MembershipOutbox, OUTBOX_WRITER_MODULE } from '../packages/server/src/activation/membership-outbox.ts';
import { SqliteActivationStore } from '../packages/server/src/activation/sqlite-store.ts';
import type { ActivationService } from '../packages/server/src/activation/service.ts';
import { WriteGate } from '../packages/server/src/storage/write-gate.ts';
import { openSqlite } from '../packages/server/src/storage/sqlite.ts';
import { SAFETY_NET_CHECKPOINT_PAGES, startCheckpointer } from '../packages/server/src/storage/checkpointer.ts';
import { machineCores, readMachineBusy } from './lib/machine-load.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger } from './lib/stats.ts';

const NAME = 'pql-batch';

/**
 * Ids shaped as the platform makes them (storage/ids.ts: a prefix, 12 hex digits of creation time,
 * 12 random): ids sharing their first 16 characters cost DuckDB more to join and sort than short
 * ones, and JavaScript more to decode (strings over 12 bytes are not stored inline).
 * BENCH_SHORT_IDS=1 uses `p<n>` and `aud-<n>` instead, as before session 19.
 */
const SHORT_IDS = process.env.BENCH_SHORT_IDS === '1';
const profileIdSql = (n: string) => (SHORT_IDS ? `'p' || (${n})` : `'prs_' || printf('%012x%012x', 1750000000000 + (${n}) // 50, hash(${n}) % 281474976710656)`);
const audienceId = (i: number) => (SHORT_IDS ? `aud-${i}` : `aud_0193a5c2e4f1${(0x5f0c2a9e4100 + i * 7919).toString(16).padStart(12, '0')}`);
const NOW = Date.parse('2025-06-18T15:00:00Z');

/** Twenty audiences of the kinds marketers build; the last reads the first through inSegment. */
export const BENCH_AUDIENCES: readonly string[] = [
  'homeAddress.countryCode = "US"',
  'homeAddress.countryCode in ["CA", "MX"] and person.age >= 30',
  'person.gender = "female" and loyalty.tier = "gold"',
  'loyalty.points > 5000',
  'person.email.endsWith("@gmail.com")',
  'person.name.firstName.startsWith("a", false)',
  'person.birthYear between_placeholder',
  'not (homeAddress.countryCode = "US") and loyalty.member = true',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts") WHEN(< 7 days before now)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "web.webpagedetails.pageViews") WHEN(< 24 hours before now) COUNT(2)])',
  'xEvent[eventType = "commerce.checkouts" and (timestamp occurs < 30 days before now)].sum(commerce.order.priceTotal) > 200',
  'xEvent[eventType = "commerce.productViews"].count() >= 3',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productViews"), B: WHAT(eventType = "commerce.checkouts")])',
  'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 3 days before now)])',
  'not (chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts") WHEN(< 14 days before now)])) and loyalty.tier = "gold"',
  'exists E from xEvent where E.eventType = "commerce.checkouts" and E.commerce.order.priceTotal > 400',
  'xEvent[timestamp occurs this month].count() > 0 and person.age < 25',
  'person.signupDate occurs < 90 days before now',
  'xEvent[eventType = "addToCart"].count() > xEvent[eventType = "commerce.checkouts"].count()',
  `inSegment("${audienceId(0)}") and person.gender = "male"`,
].map((q) => q.replace('between_placeholder', 'in [1985, 1986, 1987, 1988, 1989, 1990]'));

async function generate(connection: Awaited<ReturnType<typeof openPqlDatabase>>['connection'], profiles: number): Promise<void> {
  await connection.run(`INSERT INTO ${PQL_TABLES.profiles}
    SELECT ${profileIdSql('i')}, json_object(
      'homeAddress', json_object('countryCode', ['US', 'CA', 'MX', 'FR', 'DE'][1 + i % 5]),
      'person', json_object('age', 18 + i % 60, 'gender', CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, 'birthYear', 1960 + i % 45,
        'email', 'user' || i || CASE WHEN i % 3 = 0 THEN '@gmail.com' ELSE '@example.com' END,
        'name', json_object('firstName', ['Alice', 'bob', 'Ann', 'Zoe'][1 + i % 4]),
        'signupDate', strftime(TIMESTAMP '2025-06-18 15:00:00' - to_days(CAST(i % 400 AS INTEGER)), '%Y-%m-%dT%H:%M:%SZ')),
      'loyalty', json_object('points', (i * 37) % 10000, 'tier', ['gold', 'silver', 'bronze'][1 + i % 3], 'member', i % 4 <> 0))
    FROM range(${profiles}) t(i)`);
  const types = `['commerce.checkouts', 'commerce.productViews', 'web.webpagedetails.pageViews', 'addToCart']`;
  await connection.run(`INSERT INTO ${PQL_TABLES.events}
    SELECT ${profileIdSql(`j % ${profiles}`)}, j, ${NOW} - CAST(hash(j) % 3456000000 AS BIGINT), ${types}[CAST(1 + hash(j * 7) % 4 AS INTEGER)],
      json_object('eventType', ${types}[CAST(1 + hash(j * 7) % 4 AS INTEGER)], 'commerce', json_object('order', json_object('priceTotal', CAST(hash(j * 13) % 500 AS INTEGER))))
    FROM range(${profiles * 3}) t(j)`);
  for (const statement of JOB_DDL) await connection.run(statement);
}

/**
 * A second job a day after the first, over the same generated people in a fresh DuckDB database
 * (a job's own): the memberships the first wrote are read back through the job store as the job
 * service reads them (`loadCurrentMemberships`), the input prepared, the audiences evaluated at the new
 * instant and the transitions written. The generation is not timed.
 */
async function runAgain(profiles: number, jobStore: MembershipStore, audiences: readonly BatchAudience[], connections: number) {
  const db = await openPqlDatabase({ threads: '2', preserve_insertion_order: 'false' });
  try {
    await generate(db.connection, profiles);
    const now = NOW + 24 * 3600_000;
    const started = performance.now();
    await loadCurrentMemberships(db.connection, jobStore, 'sbx_bench', audiences.map((a) => a.id), []);
    const loaded = performance.now();
    const fields = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now })));
    await prepareJobInput(db.connection, fields);
    const prepared = performance.now();
    const extra = connections > 1 ? [await db.instance.connect()] : [];
    const result = await evaluateAndWrite(db.connection, jobStore, 'sbx_bench', audiences, { now, useInput: async () => undefined, extraConnections: extra, fields });
    for (const c of extra) c.closeSync();
    return {
      totalSeconds: (performance.now() - started) / 1000,
      loadSeconds: (loaded - started) / 1000,
      prepareSeconds: (prepared - loaded) / 1000,
      evaluateSeconds: result.evaluateMs / 1000,
      writeSeconds: result.writeMs / 1000,
      written: result.written,
    };
  } finally {
    db.close();
  }
}

/**
 * Runs the benchmark.
 *
 * @example
 *   const report = await runPqlBatch();  // { benchmark: 'pql-batch', figures: [{ measure: '20 audiences × 1,000,000 profiles, memberships written', ... }] }
 */
export async function runPqlBatch(): Promise<BenchmarkReport> {
  const profiles = Math.round(1_000_000 * Math.min(1, benchScale()));
  const db = await openPqlDatabase({ threads: '2', preserve_insertion_order: 'false' });
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-batch-'));
  // As the platform opens it: WAL checkpoints in a worker thread, not inline in the writing
  // transactions; a write gate shared with the thread that writes a job's memberships.
  const sqlitePath = join(dir, 'meridian.db');
  const gate = new WriteGate();
  const sqlite = openSqlite(sqlitePath, 'normal', SAFETY_NET_CHECKPOINT_PAGES, undefined, gate);
  const checkpointer = startCheckpointer(sqlitePath, 250, (message) => say(NAME, `checkpoint failed: ${message}`));
  const memberships = new SqliteMembershipStore(sqlite, new MembershipBulkWriter({ databasePath: sqlitePath, durability: 'normal', writeGate: gate.cells, module: OUTBOX_WRITER_MODULE }));
  // As the platform gives it to the job service: each batch commits with its outbox rows, a large
  // one on the bulk writer's thread. The activation service is wired, as when a job runs, and no
  // streaming activation takes these audiences, so no outbox rows are written.
  const noActivations = { streams: () => false, streamingOutbox: () => ({ items: [], runs: [], woken: new Map<string, number>() }) } as unknown as ActivationService;
  const jobStore = new MembershipOutbox(new SqliteActivationStore(sqlite), () => noActivations).jobStore(memberships);
  try {
    say(NAME, `generating ${formatInteger(profiles)} profiles and ${formatInteger(profiles * 3)} events`);
    await generate(db.connection, profiles);
    const audiences: BatchAudience[] = BENCH_AUDIENCES.map((pql, i) => ({
      id: audienceId(i),
      aliases: [],
      ast: parseOrThrow(pql),
      dependencies: pql.includes(`inSegment("${audienceId(0)}")`) ? [audienceId(0)] : [],
      policyId: 'default',
    }));
    const busyBefore = readMachineBusy();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    // As a job does: the input holds the fields of events and profiles its audiences read (sql/input-fields.ts).
    const fields = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now: NOW })));
    await prepareJobInput(db.connection, fields);
    const prepared = performance.now();
    const extra = Number(process.env.BENCH_BATCH_CONNECTIONS ?? '2') > 1 ? [await db.instance.connect()] : [];
    const result = await evaluateAndWrite(db.connection, jobStore, 'sbx_bench', audiences, { now: NOW, useInput: async () => undefined, extraConnections: extra, fields });
    const finished = performance.now();
    // After the write, a job looks ahead for people who will enter its clock-reading streaming audiences with time alone.
    const timed = audiences.filter((a) => usesClock(a.ast)).map((a) => ({ id: a.id, ast: a.ast, policyId: a.policyId, lookaheadMs: entryLookahead(a.ast) }));
    const entrants = await futureEntrants(db.connection, timed, NOW, async () => undefined, fields);
    const lookaheadSeconds = (performance.now() - finished) / 1000;
    for (const c of extra) c.closeSync();
    const busy = readMachineBusy();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const total = (finished - started) / 1000;
    const stored = sqlite.prepare('SELECT count(*) FROM profile_memberships, json_each(memberships)').pluck().get() as number;
    if (stored !== result.written) throw new Error(`wrote ${result.written} memberships but ${stored} are stored`);
    // The next day's job over the same people: it first reads the memberships held (the baseline
    // of its transitions) from the store, as a scheduled job does, and writes only what changed.
    const second = await runAgain(profiles, jobStore, audiences, extra.length + 1);
    const perAudience = result.counts.map((c, i) => `#${i} ${formatInteger(c.total)}`).join(', ');
    say(NAME, `members per audience: ${perAudience}`);
    return {
      benchmark: NAME,
      figures: [
        { measure: `20 audiences × ${formatInteger(profiles)} profiles, memberships written`, value: `${total.toFixed(1)} s`, target: profiles === 1_000_000 ? '≤ 10 s' : undefined, met: profiles === 1_000_000 ? total <= 10 : undefined },
        { measure: 'profiles per second (all 20 audiences)', value: formatInteger(profiles / total) },
        { measure: 'CPU used by the job (all threads; least disturbed by other load)', value: `${cpuSeconds.toFixed(1)} s (${formatInteger(profiles / cpuSeconds)} profiles per CPU-second)` },
        { measure: 'keying profiles, gathering event lists and profile fields (once per job, as the job does)', value: `${((prepared - started) / 1000).toFixed(1)} s` },
        { measure: 'evaluating 20 audiences (one query each, dependency order)', value: `${(result.evaluateMs / 1000).toFixed(1)} s` },
        { measure: 'writing memberships to SQLite', value: `${(result.writeMs / 1000).toFixed(1)} s (${formatInteger(result.written / Math.max(result.writeMs / 1000, 0.001))} rows/s)` },
        { measure: 'memberships written', value: formatInteger(result.written) },
        {
          measure: `the next day's job over the same people (not in the total): reading the ${formatInteger(stored)} memberships held, then as above`,
          value: `${second.totalSeconds.toFixed(1)} s (reading held ${second.loadSeconds.toFixed(1)} s, preparing ${second.prepareSeconds.toFixed(1)} s, evaluating ${second.evaluateSeconds.toFixed(1)} s, writing ${second.writeSeconds.toFixed(1)} s; ${formatInteger(second.written)} rows written)`,
        },
        {
          measure: `then looking ahead for future entrants (${timed.length} clock-reading audiences, ${timed.reduce((n, a) => n + a.lookaheadMs.length, 0)} instants; not in the total)`,
          value: `${lookaheadSeconds.toFixed(1)} s, ${formatInteger(entrants.length)} people`,
        },
      ],
      notes: [`members per audience: ${perAudience}`, `cores busy on the machine meanwhile (all processes): ${machineCores(busyBefore, busy).toFixed(1)}`],
    };
  } finally {
    db.close();
    await memberships.close();
    await checkpointer.stop();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
