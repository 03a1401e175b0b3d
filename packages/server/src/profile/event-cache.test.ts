import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey } from '../identity/graph.ts';
import type { IdentityService } from '../identity/service.ts';
import type { RecordStore } from '../ingest/record-store.ts';
import { EventCache } from './event-cache.ts';
import { ProfileService } from './service.ts';
import type { ProfileStore } from './store.ts';

test('a cached event body comes back as parsed, and a miss is undefined', () => {
  const cache = new EventCache(1_000);
  const text = '{"eventType":"commerce.purchases"}';
  cache.put(7, text, JSON.parse(text));
  assert.deepEqual(cache.get(7), { eventType: 'commerce.purchases' });
  assert.equal(cache.get(8), undefined);
  assert.equal(cache.bytes, text.length);
});

test('the cache never holds more bytes than its bound, evicting the least recently used first', () => {
  const cache = new EventCache(110);
  const body = (n: number) => `{"n":${n},"pad":"${'x'.repeat(20)}"}`; // 36 bytes: three fit, four do not
  cache.put(1, body(1), JSON.parse(body(1)));
  cache.put(2, body(2), JSON.parse(body(2)));
  cache.put(3, body(3), JSON.parse(body(3)));
  assert.ok(cache.get(1)); // 1 is now the most recently used
  cache.put(4, body(4), JSON.parse(body(4)));
  assert.ok(cache.bytes <= 110);
  assert.equal(cache.get(2), undefined, 'the least recently used entry went first');
  assert.deepEqual(cache.get(1), { n: 1, pad: 'x'.repeat(20) });
  assert.ok(cache.get(4));
});

test('a body larger than the whole bound is not cached, and re-putting a position does not double count', () => {
  const cache = new EventCache(10);
  cache.put(1, '{"a":"0123456789"}', { a: '0123456789' });
  assert.equal(cache.size, 0);
  cache.put(2, '{"b":1}', { b: 1 });
  cache.put(2, '{"b":1}', { b: 1 });
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, 7);
  cache.clear();
  assert.equal(cache.bytes, 0);
});

test('re-reading a person\'s events reads and parses only the events not read before', async () => {
  const seqsRead: number[][] = [];
  const timeline = [3, 2, 1];
  const store = { eventSeqsOfPeople: async (_s: string, people: readonly unknown[]) => people.map(() => timeline) };
  const records = {
    readSeqs: async (seqs: readonly number[]) => {
      seqsRead.push([...seqs]);
      return seqs.map((seq) => ({ seq, body: JSON.stringify({ _id: `e${seq}` }) }));
    },
  };
  const profiles = new ProfileService(store as unknown as ProfileStore, {} as IdentityService, records as unknown as RecordStore);
  const keys = [identityKey('ECID', '1')];
  assert.deepEqual(await profiles.eventsOf('s1', keys, 10), [{ _id: 'e3' }, { _id: 'e2' }, { _id: 'e1' }]);
  timeline.unshift(4);
  assert.deepEqual(await profiles.eventsOf('s1', keys, 10), [{ _id: 'e4' }, { _id: 'e3' }, { _id: 'e2' }, { _id: 'e1' }], 'newest first, as the timeline lists them');
  assert.deepEqual(seqsRead, [[3, 2, 1], [4]]);
});
