/**
 * Batch audience benchmark: 1,000,000 generated profiles (JSON attributes) with ~3 events each in
 * an in-memory DuckDB (2 threads), 20 realistic audiences compiled by `compileToSql` (attribute
 * filters, event counts in windows, sums, a two-step chain, an audience of audiences), memberships
 * written to a table. Reports the time to gather event lists (once per job) and to evaluate and
 * write all 20 audiences, against the 10 s target. BENCH_SCALE shrinks the profile count.
 */
import { parseOrThrow } from '../packages/server/src/segmentation/pql/parser.ts';
import { compileToSql } from '../packages/server/src/segmentation/sql/compile.ts';
import { PQL_TABLES, preparePqlInput } from '../packages/server/src/segmentation/sql/input-layout.ts';
import { openPqlDatabase } from '../packages/server/src/segmentation/sql/test-support.ts';
import { machineCores, readMachineBusy } from './lib/machine-load.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger } from './lib/stats.ts';

const NAME = 'pql-batch';
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
  'inSegment("aud-0") and person.gender = "male"',
].map((q) => q.replace('between_placeholder', 'in [1985, 1986, 1987, 1988, 1989, 1990]'));

async function generate(connection: Awaited<ReturnType<typeof openPqlDatabase>>['connection'], profiles: number): Promise<void> {
  await connection.run(`INSERT INTO ${PQL_TABLES.profiles}
    SELECT 'p' || i, json_object(
      'homeAddress', json_object('countryCode', ['US', 'CA', 'MX', 'FR', 'DE'][1 + i % 5]),
      'person', json_object('age', 18 + i % 60, 'gender', CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, 'birthYear', 1960 + i % 45,
        'email', 'user' || i || CASE WHEN i % 3 = 0 THEN '@gmail.com' ELSE '@example.com' END,
        'name', json_object('firstName', ['Alice', 'bob', 'Ann', 'Zoe'][1 + i % 4]),
        'signupDate', strftime(TIMESTAMP '2025-06-18 15:00:00' - to_days(CAST(i % 400 AS INTEGER)), '%Y-%m-%dT%H:%M:%SZ')),
      'loyalty', json_object('points', (i * 37) % 10000, 'tier', ['gold', 'silver', 'bronze'][1 + i % 3], 'member', i % 4 <> 0))
    FROM range(${profiles}) t(i)`);
  const types = `['commerce.checkouts', 'commerce.productViews', 'web.webpagedetails.pageViews', 'addToCart']`;
  await connection.run(`INSERT INTO ${PQL_TABLES.events}
    SELECT 'p' || (j % ${profiles}), j, ${NOW} - CAST(hash(j) % 3456000000 AS BIGINT), ${types}[CAST(1 + hash(j * 7) % 4 AS INTEGER)],
      json_object('eventType', ${types}[CAST(1 + hash(j * 7) % 4 AS INTEGER)], 'commerce', json_object('order', json_object('priceTotal', CAST(hash(j * 13) % 500 AS INTEGER))))
    FROM range(${profiles * 3}) t(j)`);
  await connection.run(`INSERT INTO ${PQL_TABLES.segmentMembers} SELECT profile_id, 'aud-0' FROM ${PQL_TABLES.profiles} WHERE hash(profile_id) % 3 = 0`);
  await connection.run(`CREATE TABLE audience_members (audience_id VARCHAR, profile_id VARCHAR)`);
}

/**
 * Runs the benchmark.
 *
 * @example
 *   const report = await runPqlBatch();  // { benchmark: 'pql-batch', figures: [{ measure: '20 audiences × 1,000,000 profiles', ... }] }
 */
export async function runPqlBatch(): Promise<BenchmarkReport> {
  const profiles = Math.round(1_000_000 * Math.min(1, benchScale()));
  const db = await openPqlDatabase({ threads: '2' });
  try {
    say(NAME, `generating ${formatInteger(profiles)} profiles and ${formatInteger(profiles * 3)} events`);
    await generate(db.connection, profiles);
    const busyBefore = readMachineBusy();
    const started = performance.now();
    await preparePqlInput(db.connection);
    const prepared = performance.now();
    const perAudience: string[] = [];
    let members = 0;
    for (const [i, pql] of BENCH_AUDIENCES.entries()) {
      const t = performance.now();
      const compiled = compileToSql(parseOrThrow(pql), { now: NOW });
      const reader = await db.connection.runAndReadAll(`INSERT INTO audience_members SELECT 'aud-${i}', profile_id FROM (${compiled.sql})`, compiled.params);
      members += Number(reader.getRows()[0]?.[0] ?? 0);
      perAudience.push(`aud-${i} ${((performance.now() - t) / 1000).toFixed(2)} s`);
    }
    const finished = performance.now();
    const total = (finished - started) / 1000;
    const busy = readMachineBusy();
    say(NAME, perAudience.join(', '));
    return {
      benchmark: NAME,
      figures: [
        { measure: `20 audiences × ${formatInteger(profiles)} profiles, memberships written`, value: `${total.toFixed(1)} s`, target: profiles === 1_000_000 ? '≤ 10 s' : undefined, met: profiles === 1_000_000 ? total <= 10 : undefined },
        { measure: 'gathering event lists (once per job)', value: `${((prepared - started) / 1000).toFixed(1)} s` },
        { measure: 'memberships written', value: formatInteger(members) },
      ],
      notes: [`per audience: ${perAudience.join(', ')}`, `cores busy on the machine meanwhile (all processes): ${machineCores(busyBefore, busy).toFixed(1)}`],
    };
  } finally {
    db.close();
  }
}
