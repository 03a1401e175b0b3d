import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey } from '../identity/graph.ts';
import { openSqlite } from '../storage/sqlite.ts';
import { EVENT_ROWS_PER_PASS, SqliteProfileStore } from './sqlite-store.ts';
import type { RecordIdentityEntry } from './store.ts';
import { runProfileStoreConformance } from './store.conformance.ts';

runProfileStoreConformance('embedded profile store', async () => new SqliteProfileStore(openSqlite(':memory:')));

test('event positions of many people past the row cap are read person by person, with the same answer', async () => {
  const store = new SqliteProfileStore(openSqlite(':memory:'));
  const heavy = identityKey('ECID', 'bot');
  const light = Array.from({ length: 10 }, (_, i) => identityKey('ECID', `p${i}`));
  let seq = 0;
  const entry = (identity: string): RecordIdentityEntry => ({ identity, seq: ++seq, timestamp: seq, datasetId: 'web', kind: 'event', primary: true, inProfile: true });
  await store.apply('s1', { fragments: [], index: [...Array.from({ length: EVENT_ROWS_PER_PASS + 5 }, () => entry(heavy)), ...light.flatMap((k) => [entry(k), entry(k)])] });
  const people = [[heavy], ...light.map((k) => [k])];
  const together = await store.eventSeqsOfPeople('s1', people, { limit: 3 });
  assert.deepEqual(together, await Promise.all(people.map((keys) => store.eventSeqs('s1', keys, { limit: 3 }))));
  assert.deepEqual(together[0], [seq - 20, seq - 21, seq - 22], 'the newest three of the heavy identity');
});
