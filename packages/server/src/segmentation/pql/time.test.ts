import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addUnits, anchorInterval, occursIn, parseTimestamp, periodInterval, startOfUnit, type TimeInterval } from './time.ts';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const span = (i: TimeInterval) => [iso(i.start), iso(i.end)];
const NOW = t('2025-06-18T15:00:00Z'); // a Wednesday

test('weeks start on Monday, in UTC', () => {
  assert.equal(iso(startOfUnit(NOW, 'week')), '2025-06-16T00:00:00.000Z');
  assert.equal(iso(startOfUnit(t('2025-06-22T23:59:59Z'), 'week')), '2025-06-16T00:00:00.000Z');
  assert.equal(iso(startOfUnit(t('2025-06-16T00:00:00Z'), 'week')), '2025-06-16T00:00:00.000Z');
});

test('this, last and next are whole calendar units around now', () => {
  assert.deepEqual(span(periodInterval('last', 'week', NOW)), ['2025-06-09T00:00:00.000Z', '2025-06-16T00:00:00.000Z']);
  assert.deepEqual(span(periodInterval('this', 'month', NOW)), ['2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z']);
  assert.deepEqual(span(periodInterval('next', 'year', NOW)), ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  assert.deepEqual(span(periodInterval('this', 'decade', NOW)), ['2020-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z']);
  assert.deepEqual(span(periodInterval('last', 'century', NOW)), ['1900-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z']);
  assert.deepEqual(span(periodInterval('this', 'millennium', NOW)), ['2000-01-01T00:00:00.000Z', '3000-01-01T00:00:00.000Z']);
  assert.deepEqual(span(anchorInterval('yesterday', NOW)), ['2025-06-17T00:00:00.000Z', '2025-06-18T00:00:00.000Z']);
});

test('months and years keep the day of month, clamped to the shorter month', () => {
  assert.equal(iso(addUnits(t('2025-03-31T12:00:00Z'), 'month', -1)), '2025-02-28T12:00:00.000Z');
  assert.equal(iso(addUnits(t('2024-03-31T12:00:00Z'), 'month', -1)), '2024-02-29T12:00:00.000Z');
  assert.equal(iso(addUnits(t('2024-02-29T00:00:00Z'), 'year', 1)), '2025-02-28T00:00:00.000Z');
  assert.equal(iso(addUnits(t('2025-01-31T00:00:00Z'), 'month', 13)), '2026-02-28T00:00:00.000Z');
  assert.equal(iso(addUnits(NOW, 'decade', -2)), '2005-06-18T15:00:00.000Z');
});

test('timestamps: ISO 8601 with or without zone (UTC), dates at midnight, nothing else', () => {
  assert.equal(parseTimestamp('2025-06-18T15:00:00+02:00'), t('2025-06-18T13:00:00Z'));
  assert.equal(parseTimestamp('2025-06-18T15:00:00.250Z'), t('2025-06-18T15:00:00.250Z'));
  assert.equal(parseTimestamp('2025-06-18T15:00:00'), t('2025-06-18T15:00:00Z'));
  assert.equal(parseTimestamp('2021-03-10 10:03:08'), t('2021-03-10T10:03:08Z'));
  assert.equal(parseTimestamp('2025-06-18'), t('2025-06-18T00:00:00Z'));
  for (const bad of ['2025-02-30', '18/06/2025', '', 'now', 1750258800000, null]) assert.equal(parseTimestamp(bad), null, String(bad));
});

test('occurs boundaries: < excludes the bound, <= includes it, and "before now" never includes the future', () => {
  const now = anchorInterval('now', NOW);
  const within = (ts: string, comparison: '<' | '<=' | '>' | '>=' | '=' | '!=') => occursIn(t(ts), { kind: 'distance', comparison, amount: 24, unit: 'hour', direction: 'before', time: now });
  assert.equal(within('2025-06-17T15:00:00Z', '<'), false);
  assert.equal(within('2025-06-17T15:00:00Z', '<='), true);
  assert.equal(within('2025-06-17T15:00:00Z', '>='), true);
  assert.equal(within('2025-06-17T15:00:00Z', '>'), false);
  assert.equal(within('2025-06-18T15:00:01Z', '<'), false);
  assert.equal(within('2025-06-17T15:30:00Z', '='), true);
  assert.equal(within('2025-06-17T14:30:00Z', '!='), true);
});

test('occurs on, before, after, from and between a day', () => {
  const today = anchorInterval('today', NOW);
  const yesterday = anchorInterval('yesterday', NOW);
  assert.equal(occursIn(t('2025-06-18T23:59:59.999Z'), { kind: 'on', time: today }), true);
  assert.equal(occursIn(t('2025-06-19T00:00:00Z'), { kind: 'on', time: today }), false);
  assert.equal(occursIn(t('2025-06-18T00:00:00Z'), { kind: 'direction', direction: 'before', time: today }), false);
  assert.equal(occursIn(t('2025-06-19T00:00:00Z'), { kind: 'direction', direction: 'after', time: today }), true);
  assert.equal(occursIn(t('2025-06-18T00:00:00Z'), { kind: 'direction', direction: 'from', time: today }), true);
  assert.equal(occursIn(t('2025-06-18T23:00:00Z'), { kind: 'between', from: yesterday, to: today }), true);
});
