import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId, timeOrderedUuid } from './ids.ts';

test('ids carry the prefix and 24 hex digits, and do not repeat across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = newId('prs');
    assert.match(id, /^prs_[0-9a-f]{24}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 5000);
});

test('ids sort by creation time, so new ones land at the end of the indexes keyed by them', () => {
  const t = Date.parse('2026-11-23T12:00:00Z');
  const ids = [t, t + 1, t + 1_000, t + 86_400_000].map((at) => newId('prs', at));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(ids[0].slice(4, 16), t.toString(16).padStart(12, '0'), 'the first 12 hex digits are the time in ms');
  const sameMs = Array.from({ length: 100 }, () => newId('prs', t));
  assert.equal(new Set(sameMs).size, 100, 'ids of one millisecond differ by their random part');
});

test('record ids are version 7 UUIDs: time first, so they sort by creation time, and unique', () => {
  const t = Date.parse('2026-11-24T12:00:00Z');
  const ids = [t, t + 1, t + 60_000, t + 86_400_000].map((at) => timeOrderedUuid(at));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(ids[0].replace(/-/g, '').slice(0, 12), t.toString(16).padStart(12, '0'), 'the first 48 bits are the time in ms');
  const many = Array.from({ length: 5000 }, () => timeOrderedUuid(t));
  assert.equal(new Set(many).size, 5000, 'ids of one millisecond differ by their random bits, across pool refills');
});
