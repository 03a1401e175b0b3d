import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxListCache } from './sandbox-cache.ts';

test('a sandbox list is read once until its store invalidates it, and per sandbox', () => {
  const cache = new SandboxListCache<{ id: string; tags: string[] }>();
  const reads: string[] = [];
  let rows = [{ id: 'a', tags: ['x'] }];
  const load = (sandboxId: string) => () => {
    reads.push(sandboxId);
    return rows.map((r) => structuredClone(r));
  };
  assert.deepEqual(cache.get('sb1', load('sb1')), [{ id: 'a', tags: ['x'] }]);
  assert.deepEqual(cache.get('sb1', load('sb1')), [{ id: 'a', tags: ['x'] }]);
  assert.deepEqual(cache.get('sb2', load('sb2')), [{ id: 'a', tags: ['x'] }]);
  assert.deepEqual(reads, ['sb1', 'sb2']);
  rows = [{ id: 'a', tags: ['x'] }, { id: 'b', tags: [] }];
  cache.invalidate('sb1');
  assert.equal(cache.get('sb1', load('sb1')).length, 2);
  assert.equal(cache.get('sb2', load('sb2')).length, 1, 'the other sandbox kept its list');
  assert.deepEqual(reads, ['sb1', 'sb2', 'sb1']);
});

test('cached documents cannot be changed by a caller, but the returned array is the caller\'s own', () => {
  const cache = new SandboxListCache<{ id: string; tags: string[] }>();
  const list = cache.get('sb1', () => [{ id: 'a', tags: ['x'] }]);
  list.push({ id: 'mine', tags: [] });
  assert.throws(() => {
    list[0].tags.push('y');
  }, TypeError);
  assert.deepEqual(cache.get('sb1', () => []), [{ id: 'a', tags: ['x'] }]);
});
