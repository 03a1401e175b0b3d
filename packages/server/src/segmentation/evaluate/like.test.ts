/**
 * The prepared `like` matcher (literal pieces between `%`s found with `indexOf`) agrees with
 * the two-pointer `likeMatches` on every text and pattern.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { likeMatcher, likeMatches } from './like.ts';

const text = (alphabet: string[], maxLength: number) => fc.array(fc.constantFrom(...alphabet), { maxLength }).map((cs) => cs.join(''));

test('a prepared like pattern matches exactly the texts likeMatches accepts', () => {
  fc.assert(
    fc.property(text(['a', 'b', '/', '😀'], 10), text(['a', 'b', '/', '%', '%', '_'], 7), (t, pattern) => {
      assert.equal(likeMatcher(pattern)(t), likeMatches(t, pattern), `${JSON.stringify(t)} like ${JSON.stringify(pattern)}`);
    }),
    { numRuns: 3000 },
  );
  assert.equal(likeMatcher('%/p5%')('https://shop.example.com/p5/item'), true);
  assert.equal(likeMatcher('a%a')('a'), false);
  assert.equal(likeMatcher('ab%ba')('aba'), false);
});
