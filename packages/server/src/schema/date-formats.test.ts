/** The regex-free `date` and `date-time` give ajv-formats' answers, on valid dates and on every near miss. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import formats from 'ajv-formats/dist/formats.js';
import { isDateTime, isFullDate } from './date-formats.ts';

const reference = formats.fullFormats as unknown as Record<'date' | 'date-time', { validate: (text: string) => boolean }>;

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Variants of a text: every character replaced by one of a few, removed, or doubled. */
function nearMisses(text: string, next: () => number): string[] {
  const alphabet = ['0', '1', '2', '3', '5', '9', '-', ':', '.', 'T', 't', 'Z', 'z', ' ', '+', '\u00a0', '٣', 'x'];
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    out.push(text.slice(0, i) + alphabet[Math.floor(next() * alphabet.length)] + text.slice(i + 1));
    out.push(text.slice(0, i) + text.slice(i + 1));
    out.push(text.slice(0, i) + text[i] + text.slice(i));
  }
  return out;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

test('date: the same answer as ajv-formats for real, impossible and malformed dates', () => {
  const next = random(7);
  let checked = 0;
  for (let n = 0; n < 3000; n++) {
    const year = Math.floor(next() * 10_000);
    const text = `${pad(year, 4)}-${pad(Math.floor(next() * 14), 2)}-${pad(Math.floor(next() * 33), 2)}`;
    for (const candidate of [text, ...nearMisses(text, next)]) {
      assert.equal(isFullDate(candidate), reference.date.validate(candidate), candidate);
      checked++;
    }
  }
  for (const text of ['2024-02-29', '2023-02-29', '1900-02-29', '2000-02-29', '2026-04-31', '2026-12-31', '', '2026-1-01']) {
    assert.equal(isFullDate(text), reference.date.validate(text), text);
  }
  assert.ok(checked > 90_000);
});

test('date-time: the same answer as ajv-formats, in the canonical shape and every other', () => {
  const next = random(11);
  for (let n = 0; n < 3000; n++) {
    const date = `${pad(Math.floor(next() * 10_000), 4)}-${pad(1 + Math.floor(next() * 12), 2)}-${pad(1 + Math.floor(next() * 31), 2)}`;
    const time = `${pad(Math.floor(next() * 26), 2)}:${pad(Math.floor(next() * 62), 2)}:${pad(Math.floor(next() * 62), 2)}`;
    const fraction = next() < 0.5 ? '' : `.${pad(Math.floor(next() * 1000), 3)}`;
    const zone = ['Z', 'z', '+01:00', '-0530', '+02', ''][Math.floor(next() * 6)];
    const separator = next() < 0.8 ? 'T' : next() < 0.5 ? 't' : ' ';
    const text = `${date}${separator}${time}${fraction}${zone}`;
    for (const candidate of [text, ...nearMisses(text, next)]) {
      assert.equal(isDateTime(candidate), reference['date-time'].validate(candidate), candidate);
    }
  }
  for (const text of ['2026-01-31T09:30:00Z', '2026-01-31T09:30:00.123Z', '2026-01-31T23:59:60Z', '2026-02-30T09:30:00Z', '2026-01-31T09:30:00.Z', '2026-01-31T24:00:00Z']) {
    assert.equal(isDateTime(text), reference['date-time'].validate(text), text);
  }
});
