import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../pql/index.ts';
import { PQL_TABLES, loadPqlInput, preparePqlInput } from '../sql/input-layout.ts';
import { openPqlDatabase } from '../sql/test-support.ts';
import { JOB_DDL, JOB_TABLES } from './batch-evaluation.ts';
import { entryLookahead, futureEntrants } from './time-entrants.ts';
import { PROFILE_KEYS_TABLE, keyProfiles } from './profile-keys.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOT_BOUGHT_IN_AN_HOUR =
  'chain(xEvent, timestamp, [A: WHAT(eventType = "view") WHEN(< 24 hours before now)]) and not chain(xEvent, timestamp, [B: WHAT(eventType = "buy") WHEN(< 1 hours before now)])';

test('the look-ahead instants lie just past each window the audience reads, shortest first', () => {
  assert.deepEqual(entryLookahead(parseOrThrow(NOT_BOUGHT_IN_AN_HOUR)), [HOUR + 1000, DAY + 1000]);
  assert.deepEqual(
    entryLookahead(parseOrThrow('xEvent[eventType = "buy" and timestamp occurs < 3 hours before now].count() = 0')),
    [3 * HOUR + 1000],
  );
  // A clock read through no event window (a date in the profile): a day ahead.
  assert.deepEqual(entryLookahead(parseOrThrow('person.signupDate occurs < 90 days before now')), [DAY]);
  // A calendar window counts as its longest span (a month: 31 days).
  assert.deepEqual(entryLookahead(parseOrThrow('xEvent[timestamp occurs this month].count() = 0')), [31 * DAY + 1000]);
});

test('future entrants are the members at a later instant who are not members now; people about to leave are not among them', async () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const db = await openPqlDatabase();
  try {
    for (const statement of JOB_DDL) await db.connection.run(statement);
    await loadPqlInput(db.connection, [
      // viewed, bought 10 minutes ago: enters in 50 minutes
      { profileId: 'soon', attributes: {}, events: [{ _id: 'e1', eventType: 'view', timestamp: at(20) }, { _id: 'e2', eventType: 'buy', timestamp: at(10) }] },
      // viewed, never bought: a member now (the job found it), not a future entrant
      { profileId: 'member', attributes: {}, events: [{ _id: 'e3', eventType: 'view', timestamp: at(30) }] },
      // bought, never viewed: never enters
      { profileId: 'never', attributes: {}, events: [{ _id: 'e4', eventType: 'buy', timestamp: at(5) }] },
      // viewed 23.5 hours ago, bought 10 minutes ago: by the time the purchase leaves the hour the view has left the day
      { profileId: 'too-late', attributes: {}, events: [{ _id: 'e5', eventType: 'view', timestamp: at(23.5 * 60) }, { _id: 'e6', eventType: 'buy', timestamp: at(10) }] },
    ]);
    await preparePqlInput(db.connection);
    await keyProfiles(db.connection, [PQL_TABLES.profiles]);
    await db.connection.run(`INSERT INTO ${JOB_TABLES.audiences} VALUES (0, 'aud_1')`);
    await db.connection.run(`INSERT INTO ${JOB_TABLES.members} SELECT 0, profile_key FROM ${PROFILE_KEYS_TABLE} WHERE profile_id = 'member'`);
    const ast = parseOrThrow(NOT_BOUGHT_IN_AN_HOUR);
    const policies: string[] = [];
    const found = await futureEntrants(db.connection, [{ id: 'aud_1', ast, policyId: 'default', lookaheadMs: entryLookahead(ast) }], now, async (policyId) => {
      policies.push(policyId);
    });
    assert.deepEqual(found, [{ audienceId: 'aud_1', profileId: 'soon' }]);
    assert.deepEqual(policies, ['default'], 'the input of the audience\'s merge policy is made ready once');
  } finally {
    db.close();
  }
});
