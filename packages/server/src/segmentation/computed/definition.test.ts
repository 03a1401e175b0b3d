import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planComputedAttribute, pinnedEventTypes } from './definition.ts';
import { aggregateContributions } from './aggregate.ts';
import { parseOrThrow, type Expr } from '../pql/index.ts';

const pql = (value: string) => ({ type: 'PQL' as const, format: 'pql/text' as const, value });
const days30 = { count: 30, unit: 'DAYS' as const };
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

function plan(value: string, mergeFunction?: { value: 'MOST_RECENT' | 'TOP_N' | 'SUM' | 'COUNT'; n?: number }) {
  const r = planComputedAttribute({ expression: pql(value), duration: days30, ...(mergeFunction ? { mergeFunction } : {}) });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.plan;
}

const purchase = (total: number, extra: object = {}) => ({ eventType: 'commerce.purchases', commerce: { order: { priceTotal: total } }, ...extra });

test('the merge function is read from the expression, and each event contributes what the engine computes for it alone', () => {
  const sum = plan('xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)');
  assert.equal(sum.fn, 'SUM');
  assert.deepEqual(sum.eventTypes, ['commerce.purchases']);
  assert.equal(sum.contribute(purchase(12.5)), 12.5);
  assert.equal(sum.contribute({ eventType: 'web.webpagedetails.pageViews' }), undefined, 'a page view is not a purchase');
  assert.equal(sum.contribute({ eventType: 'commerce.purchases' }), undefined, 'a purchase without a total adds nothing');

  const count = plan('xEvent[eventType in ["commerce.purchases", "commerce.checkouts"]].count()');
  assert.equal(count.fn, 'COUNT');
  assert.deepEqual(count.eventTypes, ['commerce.purchases', 'commerce.checkouts']);
  assert.equal(count.contribute({ eventType: 'commerce.checkouts' }), 1);

  assert.equal(plan('xEvent.average(commerce.order.priceTotal)').fn, 'AVERAGE');
  assert.equal(plan('xEvent.average(commerce.order.priceTotal)').eventTypes, undefined);
  assert.equal(plan('xEvent[commerce.order.priceTotal > 10].min(commerce.order.priceTotal)').fn, 'MIN');
  assert.equal(plan('xEvent.max(commerce.order.priceTotal)').fn, 'MAX');

  const recent = plan('xEvent[eventType = "web.webpagedetails.pageViews"].web.webPageDetails.name', { value: 'MOST_RECENT' });
  assert.equal(recent.contribute({ eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { name: 'home' } } }), 'home');

  const affinity = plan('xEvent.productListItems.productCategories.categoryName', { value: 'TOP_N', n: 2 });
  assert.equal(affinity.n, 2);
  assert.deepEqual(
    affinity.contribute({ productListItems: [{ productCategories: [{ categoryName: 'shoes' }] }, { productCategories: [{ categoryName: 'hats' }] }] }),
    ['shoes', 'hats'],
  );
  assert.equal(affinity.contribute({ productListItems: [] }), undefined);
});

test('a definition that is not an aggregate of events is refused with the position of the problem', () => {
  const bad = (value: string, mergeFunction?: { value: 'MOST_RECENT' | 'TOP_N' | 'SUM' | 'COUNT'; n?: number }) => {
    const r = planComputedAttribute({ expression: pql(value), duration: days30, ...(mergeFunction ? { mergeFunction } : {}) });
    assert.equal(r.ok, false, value);
    return r.ok ? assert.fail() : r;
  };
  const syntax = bad('xEvent[eventType = ].count()');
  assert.equal(syntax.code, 'PQL_INVALID');
  assert.equal(syntax.errors[0].line, 1);
  assert.equal(syntax.errors[0].column, 20);

  const shape = bad('loyalty.points > 3');
  assert.equal(shape.code, 'COMPUTED_ATTRIBUTE_INVALID');
  assert.match(shape.errors.map((e) => e.message).join(), /one of these shapes/);
  assert.equal(shape.errors.find((e) => /shapes/.test(e.message))?.column, 1);
  assert.match(bad('xEvent[timestamp occurs < 3 days before now].count()').errors[0].message, /must not read the clock/);
  assert.match(bad('xEvent[commerce.order.priceTotal > ^.loyalty.points].count()').errors[0].message, /reads profile attributes \(loyalty.points\)/);
  assert.match(bad('xEvent.sum()').errors[0].message, /sum needs the value/);
  assert.equal(bad('xEvent.web.webPageDetails.name').errors[0].path, 'mergeFunction.value');
  assert.match(bad('xEvent.count()', { value: 'SUM' }).errors[0].message, /computes COUNT/);
  assert.equal(bad('xEvent.count()', { value: 'COUNT', n: 3 }).errors[0].path, 'mergeFunction.n');
  const long = planComputedAttribute({ expression: pql('xEvent.count()'), duration: { count: 13, unit: 'MONTHS' } });
  assert.equal(long.ok, false);
  assert.equal(!long.ok && long.errors[0].path, 'duration');
});

test('event types pinned by a filter narrow the timeline read; anything looser does not', () => {
  const cond = (text: string): Expr => {
    const ast = parseOrThrow(`xEvent[${text}]`);
    return ast.nodeType === 'filter' ? ast.condition : assert.fail();
  };
  assert.deepEqual(pinnedEventTypes(cond('eventType = "a" and commerce.order.priceTotal > 3')), ['a']);
  assert.deepEqual(pinnedEventTypes(cond('eventType = "a" or eventType in ["b", "c"]')), ['a', 'b', 'c']);
  assert.equal(pinnedEventTypes(cond('eventType = "a" or commerce.order.priceTotal > 3')), undefined);
  assert.equal(pinnedEventTypes(cond('eventType.equals("a", false)')), undefined);
});

test('values follow the window: events age out, and expiry says when the next one leaves', () => {
  const w = { n: 2, windowMs: 30 * DAY };
  const old: [number, number, number] = [1, NOW - 40 * DAY, 100];
  const a: [number, number, number] = [2, NOW - 10 * DAY, 20];
  const b: [number, number, number] = [3, NOW - DAY, 5];
  const sum = aggregateContributions({ fn: 'SUM', ...w }, [b, old, a], NOW);
  assert.equal(sum.value, 25);
  assert.deepEqual(sum.kept, [a, b], 'the 40-day-old event is dropped, the rest kept oldest first');
  assert.equal(sum.expiresAt, NOW + 20 * DAY);
  const later = aggregateContributions({ fn: 'SUM', ...w }, sum.kept, sum.expiresAt!);
  assert.equal(later.value, 5, 'at the expiry instant the older event has left');
  assert.equal(aggregateContributions({ fn: 'COUNT', ...w }, [old], NOW).value, 0);
  assert.equal(aggregateContributions({ fn: 'COUNT', ...w }, [old], NOW).expiresAt, null);
  assert.equal(aggregateContributions({ fn: 'AVERAGE', ...w }, [a, b], NOW).value, 12.5);
  assert.equal(aggregateContributions({ fn: 'MIN', ...w }, [a, b], NOW).value, 5);
  assert.equal(aggregateContributions({ fn: 'MAX', ...w }, [a, b], NOW).value, 20);
  assert.equal(aggregateContributions({ fn: 'MAX', ...w }, [], NOW).value, null);
  assert.equal(aggregateContributions({ fn: 'MOST_RECENT', ...w }, [b, a], NOW).value, 5);
  const top = aggregateContributions(
    { fn: 'TOP_N', ...w },
    [[1, NOW - 3 * DAY, ['shoes', 'hats']], [2, NOW - 2 * DAY, ['hats']], [3, NOW - DAY, ['socks']], [4, NOW - 50 * DAY, ['socks', 'socks', 'socks']]],
    NOW,
  );
  assert.deepEqual(top.value, ['hats', 'socks'], 'hats twice; socks and shoes once each, socks seen more recently; old socks aged out');
});
