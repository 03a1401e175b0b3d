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
