import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from './ids.ts';

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
