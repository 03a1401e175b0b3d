import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { pathWriter, setAtPath, type PathStep } from './field-path.ts';

test('a path writer creates the objects on the way and refuses a path blocked by a value of another shape', () => {
  const record: JsonObject = {};
  assert.equal(pathWriter([{ key: 'person' }, { key: 'name' }, { key: 'firstName' }])(record, 'Ada'), true);
  assert.equal(pathWriter([{ key: 'person' }, { key: 'birthYear' }])(record, 1815), true);
  assert.deepEqual(record, { person: { name: { firstName: 'Ada' }, birthYear: 1815 } });
  assert.equal(pathWriter([{ key: 'person' }, { key: 'birthYear' }, { key: 'century' }])(record, 19), false);
  const withItems: JsonObject = {};
  assert.equal(pathWriter([{ key: 'items' }, { index: 1 }, { key: 'sku' }])(withItems, 'B'), true, 'paths through arrays work too');
  assert.equal(JSON.stringify(withItems), '{"items":[null,{"sku":"B"}]}');
});

const step: fc.Arbitrary<PathStep> = fc.oneof(fc.constantFrom('a', 'b', 'c', '0').map((key) => ({ key })), fc.constantFrom(0, 1).map((index) => ({ index })));
const path = fc.array(step, { minLength: 1, maxLength: 4 });
const value: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 2 }), fc.constant([] as JsonValue[]), fc.constant({} as JsonObject));

test('property: a path writer does exactly what setAtPath does, on any record built by earlier writes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(path, value), { maxLength: 6 }), path, value, (earlier, steps, last) => {
      const byWriter: JsonObject = {};
      const bySetAtPath: JsonObject = {};
      for (const [s, v] of [...earlier, [steps, last] as const]) {
        const written = pathWriter(s)(byWriter, structuredClone(v));
        assert.equal(written, setAtPath(bySetAtPath, s, structuredClone(v)));
        assert.deepEqual(byWriter, bySetAtPath);
      }
    }),
    { numRuns: 3000 },
  );
});
