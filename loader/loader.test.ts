import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MARKER, fail, sortDescending } from './fixtures/sample.ts';

const CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/meridian-ts/', import.meta.url));

test('a TypeScript module runs with its types stripped, its closures plain, and its compiled form cached', () => {
  assert.deepEqual(sortDescending([1, 3, 2]), [3, 2, 1]);
  const compiled = readdirSync(CACHE_DIR)
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(CACHE_DIR + name, 'utf8'))
    .filter((source) => source.includes(MARKER));
  assert.ok(compiled.length >= 1, 'the compiled module is in the cache');
  for (const source of compiled) {
    assert.doesNotMatch(source, /__name\(/, 'no helper renames each closure as it is created');
    assert.doesNotMatch(source, /: number/, 'types are stripped');
  }
});

test('stack traces name the TypeScript file and line', () => {
  try {
    fail();
    assert.fail('fail() returned');
  } catch (err) {
    assert.match(String((err as Error).stack), /fixtures\/sample\.ts:10:/);
  }
});
