/**
 * Conformance cases over `xEvent`: filters `[...]` (nested, with `^`), `exists`/`forall`,
 * `select`, `let`, the legacy `sum ... over ...`, aggregation and grouping methods on events
 * (computed attributes), and `inSegment`.
 */
import { DOWNLOAD_EVENTS, NOW, SHOP_EVENTS, SHOPPER, event, type PqlCase } from './fixtures.ts';

const shop = (name: string, pql: string, expected: PqlCase['expected'], extra: Partial<PqlCase> = {}): PqlCase => ({ name, pql, profile: SHOPPER, events: SHOP_EVENTS, now: NOW, expected, ...extra });
const downloads = (name: string, pql: string, expected: PqlCase['expected'], source = 'computed-attributes/expressions'): PqlCase => ({
  name, pql, profile: { person: { gender: 'female', birthYear: 1990 }, homeAddress: { countryCode: 'MX' } }, events: DOWNLOAD_EVENTS, now: NOW, expected, source,
});
const member = (name: string, pql: string, segments: string[] | undefined, expected: boolean, source?: string): PqlCase => ({
  name, pql, profile: { homeAddress: { countryCode: 'US' } }, events: [], now: NOW, expected, ...(segments ? { segments } : {}), ...(source ? { source } : {}),
});

const CHECKOUTS_ONLY = SHOP_EVENTS.filter((e) => e.eventType === 'commerce.checkouts');
const BIG_CHECKOUTS = CHECKOUTS_ONLY.filter((e) => e._id !== 'e1');

export const EVENT_CASES: PqlCase[] = [
  // filters
  shop('a nested filter finds events with a matching item', 'xEvent[productListItems[SKU="PS"]]', true, { source: 'filter-functions' }),
  shop('a nested filter with no match is an empty array, false as an audience', 'xEvent[productListItems[SKU="NONE"]]', false),
  shop('the value of a filter keeps storage order', 'xEvent[productListItems[SKU="PS"]]._id', ['e1', 'e5']),
  shop('count of a filter', 'xEvent[productListItems[SKU="PS"]].count()', 2),
  shop('^^ climbs from an item to the profile', 'xEvent[productListItems[SKU="XB" or ^^.person.gender="female"]]._id', ['e3', 'e1', 'e5', 'e4'], {
    source: 'filter-functions (up operator)', why: 'every event with at least one item qualifies through the profile\'s gender',
  }),
  shop('^ climbs from an item to its event', 'xEvent[productListItems[SKU="PS" or ^.eventType="commerce.productViews"]]._id', ['e3', 'e1', 'e5']),
  shop('^ reads a field of the enclosing event', 'xEvent[productListItems[priceTotal > 50 and ^.commerce.order.currencyCode = "USD"]]._id', ['e1', 'e5']),
  shop('^ from an element argument', 'xEvent.filter(productListItems.exists(SKU = "PS" and ^.commerce.order.currencyCode = "USD")).count()', 2),
  shop('a filter on a missing array is empty', 'xEvent[missingList[x = 1]].count()', 0),
  shop('projection through events and items', 'xEvent.productListItems.SKU.distinct()', ['XB', 'PS', 'CTRL', 'GAME1']),
  shop('includes over a projection', 'xEvent.productListItems.SKU.includes("GAME1")', true),
  shop('xEvent alone is true when there are events', 'xEvent', true),
  { name: 'xEvent alone is false without events', pql: 'xEvent', profile: SHOPPER, events: [], now: NOW, expected: false },
  // exists / forall / select
  shop('exists with two generators (Adobe example)', 'exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS"', true, { source: 'logical-quantifiers' }),
  shop('exists: both conditions on the same event', 'exists E from xEvent where E.commerce.order.priceTotal > 200, I from E.productListItems where I.SKU = "PS"', true),
  shop('exists: conditions met only by different events', 'exists E from xEvent where E.commerce.order.priceTotal > 200, I from E.productListItems where I.SKU = "CTRL"', false, {
    why: 'e5 is over 200 but has no CTRL; e1 has CTRL but is 120',
  }),
  shop('exists with ":" instead of where', 'exists E from xEvent : E.eventType = "web.webpagedetails.pageViews"', true),
  shop('exists without a condition means non-empty', 'exists E from xEvent', true),
  { name: 'exists over no events is false', pql: 'exists E from xEvent', profile: SHOPPER, events: [], now: NOW, expected: false },
  shop('forall: every event is before now', 'forall E from xEvent where E.timestamp occurs before now', true),
  shop('forall: not every event is a checkout', 'forall E from xEvent where E.eventType = "commerce.checkouts"', false),
  { name: 'forall over no events is true', pql: 'forall E from xEvent where E.eventType = "x"', profile: SHOPPER, events: [], now: NOW, expected: true },
  {
    name: 'forall with two generators: every event and every one of its items', pql: 'forall E from xEvent where E.eventType = "commerce.checkouts", I from E.productListItems where I.priceTotal >= 40',
    profile: SHOPPER, events: BIG_CHECKOUTS, now: NOW, expected: true, source: 'logical-quantifiers',
  },
  {
    name: 'forall with two generators fails on one small item', pql: 'forall E from xEvent where E.eventType = "commerce.checkouts", I from E.productListItems where I.priceTotal >= 40',
    profile: SHOPPER, events: CHECKOUTS_ONLY, now: NOW, expected: false, why: 'e1 has a 20 controller',
  },
  shop('select is true when one event matches', 'select var1 from xEvent where var1.web.webPageDetails.isHomePage = true', true),
  shop('select is false when none matches', 'select var1 from xEvent where var1.web.webPageDetails.isHomePage = false', false),
  {
    name: 'select on the home page flag (Adobe edge example)', pql: 'select var1 from xEvent where var1._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = false',
    profile: {}, events: [event('h1', '2025-06-18T14:00:00Z', 'web.webpagedetails.pageViews', { _experience: { analytics: { endUser: { firstWeb: { webPageDetails: { isHomePage: false } } } } } })],
    now: NOW, expected: true, source: 'segmentation/api/edge-segmentation',
  },
  // let and sum ... over
  shop('let binds a value (Adobe example)', 'let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)', true, {
    source: 'misc-functions', why: 'USD orders: 120 + 300 = 420',
  }),
  shop('sum over with where', 'sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD"', 420),
  shop('sum over without where skips missing values', 'sum X.commerce.order.priceTotal over X from xEvent', 460),
  shop('count over counts non-null values', 'count X over X from xEvent where X.eventType = "commerce.checkouts"', 3),
  shop('average over', 'average X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD"', 210),
  shop('min over', 'min X.commerce.order.priceTotal over X from xEvent', 40),
  shop('max over', 'max X.commerce.order.priceTotal over X from xEvent', 300),
  shop('let with a method value', 'let S = (xEvent.count()) in (S >= 5)', true),
  // aggregation and grouping on events
  shop('count of all events', 'xEvent.count()', 5),
  shop('sum of a filter', 'xEvent[eventType = "commerce.checkouts"].sum(commerce.order.priceTotal)', 460),
  shop('min of a filter', 'xEvent[eventType = "commerce.checkouts"].min(commerce.order.priceTotal)', 40),
  shop('max of a filter', 'xEvent[eventType = "commerce.checkouts"].max(commerce.order.priceTotal)', 300),
  shop('topN of events', 'xEvent[eventType = "commerce.checkouts"].topN(commerce.order.priceTotal, 1)._id', ['e5']),
  shop('bottomN of events', 'xEvent[eventType = "commerce.checkouts"].bottomN(commerce.order.priceTotal, 2)._id', ['e4', 'e1']),
  shop('groupBy event type, count per group', 'xEvent.groupBy(eventType).map((K, G) => mapEntry(K, G.count()))', {
    'commerce.productViews': 1, 'commerce.checkouts': 3, 'web.webpagedetails.pageViews': 1,
  }),
  shop('exists method on events', 'xEvent.exists(eventType = "commerce.productViews")', true),
  shop('filter method on events', 'xEvent.filter(eventType = "commerce.checkouts").count()', 3),
  shop('a 7-day spend with occurs inside the filter', 'xEvent[(timestamp occurs < 7 days before now) and eventType="commerce.checkouts"].sum(commerce.order.priceTotal)', 120),
  // computed-attribute examples (Adobe)
  downloads('count of image downloads in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download" and contentType = "image"].count()', 2),
  downloads('sum of sporting-goods spend in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="transaction" and category = "sporting goods"].sum(commerce.order.priceTotal)', 105),
  downloads('min of sporting-goods spend in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="transaction" and category = "sporting goods"].min(commerce.order.priceTotal)', 25),
  downloads('max of sporting-goods spend in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="transaction" and category = "sporting goods"].max(commerce.order.priceTotal)', 80),
  downloads('a transaction in 7 days, as a chain', 'chain(xEvent, timestamp, [A: WHAT(eventType = "transaction") WHEN(< 7 days before now)])', true),
  downloads('downloads per product in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, G.count()))', { p1: 2, p2: 1 }),
  downloads('sum per product in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, G.sum(commerce.order.priceTotal)))', { p1: 17, p2: 5 }),
  downloads('min per product in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, G.min(commerce.order.priceTotal)))', { p1: 7, p2: 5 }),
  downloads('max per product in 7 days', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, G.max(commerce.order.priceTotal)))', { p1: 10, p2: 5 }),
  downloads('a boolean per product', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, G.sum(commerce.order.priceTotal) > 8))', { p1: true, p2: false }),
  downloads('an object per product', 'xEvent[(timestamp occurs < 7 days before now) and eventType="download"].groupBy(product).map((K, G) => mapEntry(K, {"count": G.count(), "sum": G.sum(commerce.order.priceTotal)}))', {
    p1: { count: 2, sum: 17 }, p2: { count: 1, sum: 5 },
  }),
  downloads('a number from the profile', 'if(person.gender = "female", 60, 65)', 60),
  downloads('a boolean from the profile', 'person.birthYear >= 2000', false),
  downloads('a string from the profile', 'if(homeAddress.countryCode in ["US","MX","CA"], "NA", "ROW")', 'NA'),
  // inSegment
  member('inSegment and inSegment: both', 'inSegment("e3be6d7f-1727-401f-a41e-c296b45f607a") and inSegment("9e1646bb-57ff-4309-ba59-17d6c5bab6a1")', ['e3be6d7f-1727-401f-a41e-c296b45f607a', '9e1646bb-57ff-4309-ba59-17d6c5bab6a1'], true, 'segmentation/methods/streaming-segmentation'),
  member('inSegment and inSegment: only one', 'inSegment("e3be6d7f-1727-401f-a41e-c296b45f607a") and inSegment("9e1646bb-57ff-4309-ba59-17d6c5bab6a1")', ['e3be6d7f-1727-401f-a41e-c296b45f607a'], false),
  member('inSegment with a profile attribute', 'homeAddress.countryCode = "US" and inSegment("existing segment")', ['existing segment'], true, 'segmentation/api/edge-segmentation'),
  member('inSegment without memberships', 'inSegment("seg-a") or homeAddress.countryCode = "FR"', [], false),
  member('not inSegment when segments are not given', 'not (inSegment("seg-a"))', undefined, true),
];
