import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordTexts } from './json-spans.ts';
import { seededRandom } from '../storage/seeded-random.ts';

test('each element of a compact array comes back as its own text', () => {
  assert.deepEqual(recordTexts('[{"a":1},{"b":[2,3]},"x",4,null,[]]'), ['{"a":1}', '{"b":[2,3]}', '"x"', '4', 'null', '[]']);
  assert.deepEqual(recordTexts('{"a":"b"}'), ['{"a":"b"}']);
  assert.deepEqual(recordTexts('  {"a":"b"}\n'), ['{"a":"b"}'], 'whitespace around the body is not part of it');
  assert.deepEqual(recordTexts('[]'), []);
  assert.deepEqual(recordTexts('[ {"a":1} ,\n{"b":2} ]'), ['{"a":1}', '{"b":2}'], 'whitespace between elements is fine');
});

test('strings holding quotes, backslashes, brackets and commas do not confuse the scan', () => {
  const tricky = [{ s: 'a "quoted", [bracketed] {braced} value' }, { s: 'ends with a backslash \\' }, { s: '\\"' }, { 'k,]': '}' }];
  assert.deepEqual(recordTexts(JSON.stringify(tricky)), tricky.map((t) => JSON.stringify(t)));
});

test('an element with whitespace between its tokens is left for re-serialization', () => {
  assert.deepEqual(recordTexts('[{"a": 1},{"b":2},{ "c":3}]'), [undefined, '{"b":2}', undefined]);
  assert.deepEqual(recordTexts('{\n  "a": 1\n}'), [undefined]);
  assert.deepEqual(recordTexts('[{"a":"spaces inside a string are fine"}]'), ['{"a":"spaces inside a string are fine"}']);
});

test('on random JSON, every text found parses to the element itself (property)', () => {
  const next = seededRandom(20261123);
  const random = { int: (n: number) => Math.floor(next() * n) };
  const alphabet = ['a', ' ', '"', '\\', ',', '[', ']', '{', '}', ':', 'é', '\n', '\u2028', 'z'];
  const value = (depth: number): unknown => {
    const kind = random.int(depth > 3 ? 4 : 6);
    if (kind === 0) return random.int(1000) - 500 + random.int(100) / 10;
    if (kind === 1) return Array.from({ length: random.int(8) }, () => alphabet[random.int(alphabet.length)]).join('');
    if (kind === 2) return random.int(2) === 0;
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: random.int(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: random.int(4) }, (_, i) => [`${alphabet[random.int(alphabet.length)]}${i}`, value(depth + 1)]));
  };
  for (let run = 0; run < 500; run++) {
    const records = Array.from({ length: random.int(6) }, () => value(0));
    const compact = JSON.stringify(records);
    assert.deepEqual(recordTexts(compact), records.map((r) => JSON.stringify(r)), compact);
    const pretty = JSON.stringify(records, null, random.int(2) === 0 ? 2 : '\t');
    const texts = recordTexts(pretty);
    assert.equal(texts.length, records.length, pretty);
    texts.forEach((text, i) => {
      if (text !== undefined) assert.deepEqual(JSON.parse(text), records[i], pretty);
    });
  }
});
