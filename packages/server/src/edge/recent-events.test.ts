import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentEvents } from './recent-events.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');

test('held events come back as shared frozen objects without the left-out groups, in a fresh array each time', () => {
  const recent = new RecentEvents({ maxVisitors: 10 });
  const sent = { eventType: 'commerce.productViews', timestamp: new Date(NOW - 1000).toISOString(), device: { screenWidth: 1920 }, commerce: { productViews: { value: 1 } } };
  recent.add('s', 'v', [sent], NOW);
  sent.commerce.productViews.value = 2; // the caller's object stays the caller's
  const first = recent.get('s', 'v', NOW);
  assert.deepEqual([...first], [{ eventType: 'commerce.productViews', timestamp: sent.timestamp, commerce: { productViews: { value: 1 } } }]);
  assert.ok(Object.isFrozen(first[0]) && Object.isFrozen(first[0].commerce));
  assert.throws(() => {
    (first[0] as Record<string, unknown>).eventType = 'changed';
  }, TypeError);
  first.push({ eventType: 'web.webpagedetails.pageViews' }); // a request adds its own events to its list
  const second = recent.get('s', 'v', NOW);
  assert.equal(second.length, 1);
  assert.equal(second[0], first[0], 'parsed once, shared by readers');
});

test('events leave by the time window, the per-visitor count and the byte bound', () => {
  const recent = new RecentEvents({ maxVisitors: 10, perVisitor: 2, maxBytes: 300, windowMs: 60_000 });
  const at = (msAgo: number, n: number) => ({ eventType: `t${n}`, timestamp: new Date(NOW - msAgo).toISOString() });
  recent.add('s', 'a', [at(120_000, 1), at(1000, 2), at(500, 3), at(100, 4)], NOW);
  assert.deepEqual(recent.get('s', 'a', NOW).map((e) => e.eventType), ['t3', 't4']);
  assert.deepEqual(recent.get('s', 'a', NOW + 59_600).map((e) => e.eventType), ['t4']);
  recent.add('s', 'b', [{ eventType: 'x'.repeat(200), timestamp: new Date(NOW).toISOString() }], NOW);
  assert.deepEqual(recent.get('s', 'a', NOW), [], 'the least recent visitor left to keep the bytes under the bound');
  assert.equal(recent.stats().visitors, 1);
  assert.ok(recent.stats().bytes <= 300);
});

test('a held event counts the length of its JSON text (without the left-out groups), arrays and nested objects frozen too', () => {
  const recent = new RecentEvents({ maxVisitors: 10 });
  const event = {
    eventType: 'commerce.purchases',
    timestamp: new Date(NOW).toISOString(),
    productListItems: [{ SKU: 'A-1', quantity: 2, priceTotal: 19.5 }, { SKU: 'B-2', quantity: 1, priceTotal: 5 }],
    commerce: { order: { purchaseID: 'o-9', paid: true, coupon: null } },
    marketing: { tags: [], extra: {}, note: 'ça' },
    environment: { browserDetails: { userAgent: 'x'.repeat(500) } },
  };
  recent.add('s', 'v', [event], NOW);
  const { environment: _left, ...kept } = event;
  assert.equal(recent.stats().bytes, JSON.stringify(kept).length);
  const [held] = recent.get('s', 'v', NOW);
  const items = held.productListItems as Record<string, unknown>[];
  assert.ok(Object.isFrozen(items) && Object.isFrozen(items[0]), 'arrays and their members are frozen');
  assert.deepEqual(held, kept);
});
