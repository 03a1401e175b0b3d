/**
 * The one-scan batch evaluation agrees with the in-memory engine (the streaming evaluator) profile
 * by profile, including audiences of audiences evaluated in the same job, and turns the members
 * held before the job into the right transitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../pql/parser.ts';
import type { XdmEvent } from '../pql/cases.ts';
import type { JsonObject } from '../../storage/json.ts';
import { compileExpression } from '../evaluate/compile.ts';
import { PQL_TABLES, loadPqlInput, preparePqlInput, type PqlInputProfile } from '../sql/input-layout.ts';
import { openPqlDatabase } from '../sql/test-support.ts';
import { gatherEventLists } from './event-lists.ts';
import { JOB_DDL, JOB_TABLES, countTransitions, dependencyLevels, evaluateLevels, keyHeldMemberships, streamTransitions, type BatchAudience } from './batch-evaluation.ts';
import { PROFILE_KEYS_TABLE, keyProfiles } from './profile-keys.ts';
import { prepareJobInput } from './job-input.ts';
import { inputFieldsFor } from '../sql/input-fields.ts';

/** Orders "profile/audience-index" keys as the transitions come. */
function byProfileThenAudience(a: string, b: string): number {
  const [pa, ia] = a.split('/');
  const [pb, ib] = b.split('/');
  return pa < pb ? -1 : pa > pb ? 1 : Number(ia) - Number(ib);
}

const NOW = Date.parse('2025-06-18T15:00:00Z');
const TYPES = ['commerce.checkouts', 'commerce.productViews', 'web.webpagedetails.pageViews', 'addToCart'];

const AUDIENCES: { id: string; pql: string }[] = [
  { id: 'us', pql: 'homeAddress.countryCode = "US"' },
  { id: 'gold-women', pql: 'person.gender = "female" and loyalty.tier = "gold"' },
  { id: 'checkout-7d', pql: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts") WHEN(< 7 days before now)])' },
  { id: 'big-spender', pql: 'xEvent[eventType = "commerce.checkouts" and (timestamp occurs < 30 days before now)].sum(commerce.order.priceTotal) > 200' },
  { id: 'browsers', pql: 'xEvent[eventType = "commerce.productViews"].count() >= 1 and xEvent.count() >= 3' },
  { id: 'view-then-buy', pql: 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.productViews"), B: WHAT(eventType = "commerce.checkouts")])' },
  { id: 'us-buyers', pql: 'inSegment("us") and inSegment("checkout-7d")' },
  { id: 'us-buyers-not-gold', pql: 'inSegment("us-buyers") and not inSegment("gold-women")' },
];

/** Deterministic profiles with a few events each. */
function profiles(n: number): PqlInputProfile[] {
  return Array.from({ length: n }, (_, i) => ({
    profileId: `p${String(i).padStart(4, '0')}`,
    attributes: {
      homeAddress: { countryCode: ['US', 'CA', 'FR'][i % 3] },
      person: { gender: i % 2 === 0 ? 'female' : 'male' },
      loyalty: { tier: ['gold', 'silver'][i % 2 === 0 ? (i >> 1) % 2 : 0] },
    },
    events: Array.from({ length: i % 5 }, (_, j): XdmEvent => ({
      _id: `e${i}-${j}`,
      eventType: TYPES[(i * 7 + j * 3) % 4],
      timestamp: new Date(NOW - ((i * 13 + j * 29) % 40) * 86_400_000).toISOString(),
      commerce: { order: { priceTotal: (i * 31 + j * 17) % 250 } },
    })),
  }));
}

const batchAudiences: BatchAudience[] = AUDIENCES.map((a) => {
  const ast = parseOrThrow(a.pql);
  return { id: a.id, aliases: [], ast, dependencies: AUDIENCES.filter((b) => a.pql.includes(`inSegment("${b.id}")`)).map((b) => b.id), policyId: 'mp' };
});

test('dependency levels put each audience after those it reads through inSegment', () => {
  assert.deepEqual(
    dependencyLevels(batchAudiences).map((level) => level.map((a) => a.id)),
    [['us', 'gold-women', 'checkout-7d', 'big-spender', 'browsers', 'view-then-buy'], ['us-buyers'], ['us-buyers-not-gold']],
  );
});

test('evaluation in dependency order gives the members the in-memory engine finds, profile by profile, and the transitions from the members held before', async () => {
  const people = profiles(240);
  const db = await openPqlDatabase({ threads: '2' });
  try {
    await loadPqlInput(db.connection, people);
    await preparePqlInput(db.connection);
    await keyProfiles(db.connection, [PQL_TABLES.profiles]);
    for (const statement of JOB_DDL) await db.connection.run(statement);
    // Held before the job: p0000 realized (will stay → existing), p0001 existing but no longer qualifies (→ exited).
    // And p9999, gone from the profiles since: exits too.
    await db.connection.run(`INSERT INTO ${JOB_TABLES.current} VALUES ('us', 'p0000', 'realized', 5), ('us', 'p0001', 'existing', 6), ('us', 'p0003', 'existing', 7), ('us', 'p9999', 'existing', 8)`);
    let inputsUsed = 0;
    await evaluateLevels(db.connection, batchAudiences, { now: NOW, useInput: async () => void inputsUsed++ });
    assert.ok(inputsUsed >= 3, 'the input is selected for each level');

    const reader = await db.connection.runAndReadAll(`SELECT a.audience_id, k.profile_id
      FROM ${JOB_TABLES.members} JOIN ${JOB_TABLES.audiences} a USING (audience) JOIN ${PROFILE_KEYS_TABLE} k USING (profile_key)`);
    const sqlMembers = new Set(reader.getRows().map((r) => `${String(r[0])}/${String(r[1])}`));
    // The in-memory engine in dependency order, each audience reading the ones before it.
    const memoryMembers = new Set<string>();
    for (const person of people) {
      const held = new Set<string>();
      for (const level of dependencyLevels(batchAudiences)) {
        for (const audience of level) {
          const matches = compileExpression(audience.ast).matches({ profile: person.attributes, events: person.events as unknown as JsonObject[], now: NOW, inSegment: (id) => held.has(id) });
          if (matches) {
            held.add(audience.id);
            memoryMembers.add(`${audience.id}/${person.profileId}`);
          }
        }
      }
    }
    assert.deepEqual([...sqlMembers].sort(), [...memoryMembers].sort());
    for (const a of AUDIENCES) assert.ok([...memoryMembers].some((m) => m.startsWith(`${a.id}/`)), `${a.id} has members in the fixture`);

    await keyHeldMemberships(db.connection);
    const counts = await countTransitions(db.connection, AUDIENCES.map((a) => a.id));
    const us = counts.find((c) => c.audienceId === 'us')!;
    const usMembers = [...memoryMembers].filter((m) => m.startsWith('us/')).length;
    assert.deepEqual(us, { audienceId: 'us', realized: usMembers - 2, existing: 2, exited: 2, total: usMembers });

    const written = [];
    for await (const batch of streamTransitions(db.connection, NOW, 100)) {
      assert.ok(batch.length <= 100 + 2048, 'batches stay near the asked size');
      const rows = batch.memberships();
      assert.deepEqual(batch.changes(), rows.filter((m) => m.status !== 'existing'), 'the changes are the entries and exits');
      written.push(...rows);
    }
    const order = written.map((m) => `${m.profileId}/${AUDIENCES.findIndex((a) => a.id === m.audienceId)}`);
    const [inInput, gone] = [order.filter((o) => !o.startsWith('p9999/')), order.filter((o) => o.startsWith('p9999/'))];
    assert.deepEqual(order, [...[...inInput].sort(byProfileThenAudience), ...gone], 'rows come by profile, then audience (both indexes written in place); people keyed later come after');
    const byKey = new Map(written.map((m) => [`${m.audienceId}/${m.profileId}`, m]));
    assert.deepEqual(byKey.get('us/p0000'), { audienceId: 'us', profileId: 'p0000', status: 'existing', lastQualificationTime: 5, updatedAt: NOW });
    assert.deepEqual(byKey.get('us/p0001'), { audienceId: 'us', profileId: 'p0001', status: 'exited', lastQualificationTime: 6, updatedAt: NOW });
    assert.equal(byKey.has('us/p0003'), false, 'an existing member who stays needs no write');
    assert.deepEqual(byKey.get('us/p9999'), { audienceId: 'us', profileId: 'p9999', status: 'exited', lastQualificationTime: 8, updatedAt: NOW });
    assert.equal(byKey.get('us/p0006')?.status, 'realized');
    assert.equal(byKey.get('us/p0006')?.lastQualificationTime, NOW);
    assert.equal(written.length, memoryMembers.size - 2 + 1 + 2, 'every entry but the two held before, one realized → existing, two exits; the unchanged member is not written');
    const copied = await db.connection.runAndReadAll(`SELECT DISTINCT segment_id FROM ${PQL_TABLES.segmentMembers} ORDER BY 1`);
    assert.deepEqual(copied.getRows().map((r) => String(r[0])), ['checkout-7d', 'gold-women', 'us', 'us-buyers'], 'only the audiences read through inSegment are copied for it');
  } finally {
    db.close();
  }
});

test('audiences of two merge policies share the profile keys: a person in both inputs is one key, one only the second policy sees comes after', async () => {
  const us = { homeAddress: { countryCode: 'US' } };
  const inputs: Record<string, PqlInputProfile[]> = {
    // With graph stitching, p-b and p-c are one person (p-b); without, p-c is a person of its own.
    graph: [{ profileId: 'p-b', attributes: us, events: [] }, { profileId: 'p-a', attributes: us, events: [] }, { profileId: 'p-d', attributes: {}, events: [] }],
    none: [{ profileId: 'p-c', attributes: us, events: [] }, { profileId: 'p-b', attributes: us, events: [] }],
  };
  const audiences: BatchAudience[] = [
    { id: 'aud-graph', aliases: [], ast: parseOrThrow('homeAddress.countryCode = "US"'), dependencies: [], policyId: 'graph' },
    { id: 'aud-none', aliases: [], ast: parseOrThrow('homeAddress.countryCode = "US"'), dependencies: [], policyId: 'none' },
  ];
  const fields = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now: NOW })));
  const db = await openPqlDatabase();
  try {
    for (const statement of JOB_DDL) await db.connection.run(statement);
    // Held before: p-gone (no longer in any input) was in aud-none.
    await db.connection.run(`INSERT INTO ${JOB_TABLES.current} VALUES ('aud-none', 'p-gone', 'existing', 7)`);
    const used: string[] = [];
    await evaluateLevels(db.connection, audiences, {
      now: NOW,
      fields,
      useInput: async (policyId) => {
        used.push(policyId);
        await db.connection.run(`DELETE FROM ${PQL_TABLES.profiles}`);
        await db.connection.run(`DELETE FROM ${PQL_TABLES.events}`);
        await loadPqlInput(db.connection, inputs[policyId]);
        await prepareJobInput(db.connection, fields);
      },
    });
    assert.deepEqual(used, ['graph', 'none']);
    await keyHeldMemberships(db.connection);
    const keys = await db.connection.runAndReadAll(`SELECT profile_id, profile_key FROM ${PROFILE_KEYS_TABLE} ORDER BY profile_key`);
    assert.deepEqual(keys.getRows().map(([id, key]) => [String(id), Number(key)]), [['p-a', 0], ['p-b', 1], ['p-d', 2], ['p-c', 3], ['p-gone', 4]]);
    const written = [];
    for await (const batch of streamTransitions(db.connection, NOW, 100)) written.push(...batch.memberships());
    assert.deepEqual(
      written.map((m) => `${m.profileId} ${m.audienceId} ${m.status}`),
      ['p-a aud-graph realized', 'p-b aud-graph realized', 'p-b aud-none realized', 'p-c aud-none realized', 'p-gone aud-none exited'],
    );
    const counts = await countTransitions(db.connection, ['aud-graph', 'aud-none']);
    assert.deepEqual(counts.map((c) => [c.audienceId, c.realized, c.exited, c.total]), [['aud-graph', 2, 0, 2], ['aud-none', 2, 1, 2]]);
  } finally {
    db.close();
  }
});

test('gathering event lists in parts gives the lists of one statement, each profile once', async () => {
  const db = await openPqlDatabase();
  try {
    await loadPqlInput(db.connection, profiles(120));
    await gatherEventLists(db.connection, undefined, Number.MAX_SAFE_INTEGER);
    await db.connection.run('CREATE TABLE whole AS SELECT * FROM pql_event_lists');
    await gatherEventLists(db.connection, undefined, 25); // 120 profiles' events in many parts
    const counts = await db.connection.runAndReadAll(`SELECT
        (SELECT count(*) FROM whole),
        (SELECT count(*) FROM pql_event_lists),
        (SELECT count(DISTINCT profile_id) FROM pql_event_lists),
        (SELECT count(*) FROM whole a JOIN pql_event_lists b USING (profile_id) WHERE a.events IS NOT DISTINCT FROM b.events),
        (SELECT count(*) FROM pql_events)`);
    const [whole, parted, distinct, same, events] = counts.getRows()[0].map(Number);
    assert.ok(events > 100, 'the events span several parts');
    assert.equal(parted, whole);
    assert.equal(distinct, whole);
    assert.equal(same, whole);
  } finally {
    db.close();
  }
});

test('gathered event types are an ENUM in text order: compared, sorted and aggregated as the text is', async () => {
  const db = await openPqlDatabase();
  try {
    const events = ['zeta', 'alpha', 'mid', 'alpha'].map((eventType, i): XdmEvent => ({ _id: `e${i}`, eventType, timestamp: new Date(NOW - i * 1000).toISOString() }));
    await loadPqlInput(db.connection, [{ profileId: 'p1', attributes: {}, events }]);
    await gatherEventLists(db.connection);
    const reader = await db.connection.runAndReadAll(`SELECT typeof(events[1].event_type),
        list_max(list_transform(events, lambda e: e.event_type))::VARCHAR,
        list_min(list_transform(events, lambda e: e.event_type))::VARCHAR,
        list_transform(list_sort(list_transform(events, lambda e: e.event_type)), lambda t: t::VARCHAR),
        len(list_filter(events, lambda e: e.event_type < 'beta')),
        len(list_filter(events, lambda e: e.event_type = 'mid')),
        len(list_filter(events, lambda e: e.event_type = 'absent'))
      FROM ${PQL_TABLES.eventLists}`);
    const [type, max, min, sorted, beforeBeta, mid, absent] = reader.getRows()[0];
    assert.match(String(type), /^ENUM/);
    assert.equal(max, 'zeta');
    assert.equal(min, 'alpha');
    assert.deepEqual(JSON.parse(JSON.stringify((sorted as { items: unknown[] }).items)), ['alpha', 'alpha', 'mid', 'zeta']);
    assert.equal(Number(beforeBeta), 2);
    assert.equal(Number(mid), 1);
    assert.equal(Number(absent), 0, 'a type no event has compares false, not an error');
  } finally {
    db.close();
  }
});

test('gathering event lists with a sorted plain list gives exactly the lists of the ordered aggregate', async () => {
  const db = await openPqlDatabase();
  try {
    // Events appended out of storage order, so the sort has work to do.
    await loadPqlInput(db.connection, profiles(120).reverse());
    await db.connection.run(`CREATE TABLE shuffled AS SELECT * FROM pql_events ORDER BY hash(seq * 31 + length(profile_id))`);
    await db.connection.run('DELETE FROM pql_events');
    await db.connection.run('INSERT INTO pql_events SELECT * FROM shuffled');
    await preparePqlInput(db.connection);
    await db.connection.run('CREATE TABLE ordered_aggregate AS SELECT * FROM pql_event_lists');
    await gatherEventLists(db.connection);
    const counts = await db.connection.runAndReadAll(`SELECT
        (SELECT count(*) FROM ordered_aggregate),
        (SELECT count(*) FROM pql_event_lists),
        (SELECT count(*) FROM ordered_aggregate a JOIN pql_event_lists b USING (profile_id) WHERE a.events IS NOT DISTINCT FROM b.events),
        (SELECT max(len(events)) FROM pql_event_lists)`);
    const [before, after, same, longest] = counts.getRows()[0].map(Number);
    assert.equal(before, after);
    assert.equal(same, before);
    assert.ok(longest >= 4, 'lists of several events are compared');
  } finally {
    db.close();
  }
});
