import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from './analysis.ts';
import { classifyEvaluation, type ClassifyContext, type EvaluationMethod } from './classify.ts';
import { parseOrThrow } from './parser.ts';

const classify = (pql: string, context?: ClassifyContext) => classifyEvaluation(analyze(parseOrThrow(pql)), context);
const facts = (pql: string) => analyze(parseOrThrow(pql));

const CHECKOUT_TODAY = 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])';
const CALIFORNIA = 'e3be6d7f-1727-401f-a41e-c296b45f607a';

/** Adobe's published examples (May 2025 rules) with the method Adobe gives and the reason we state. */
const ADOBE_DECISIONS: [string, EvaluationMethod, RegExp][] = [
  [CHECKOUT_TODAY, 'edge', /one kind of event within the last 24 hours/],
  ['homeAddress.country.equals("US", false)', 'edge', /uses only profile attributes/],
  [`workAddress.country.equals("US", false) and ${CHECKOUT_TODAY}`, 'edge', /together with profile attributes/],
  ['workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("directMarketing.emailClicked", false)) WHEN(today), C1: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])', 'streaming', /combines 2 events/],
  [`inSegment("${CALIFORNIA}") and inSegment("9e1646bb-57ff-4309-ba59-17d6c5bab6a1")`, 'edge', /combines other audiences/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )', 'edge', /at least 5 times within the last 24 hours/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(<= 24 hours before now)])', 'edge', /within the last 24 hours/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "pageView") WHEN(< 3 days before now)])', 'batch', /event window longer than 24 hours \(3 days\), so it is evaluated in batch/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "pageView")])', 'batch', /no time window/],
  ['select var1 from xEvent where var1._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = true', 'batch', /no time window/],
  [`inSegment("${CALIFORNIA}") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`, 'batch', /not known to use profile attributes only/],
  ['chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 24 hours before now)]) and chain(xEvent, timestamp, [X: WHAT(eventType = "checkoutPageView") WHEN(< 24 hours before now)])', 'batch', /not steps of one sequence/],
  ['not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] ))', 'batch', /only describes events that did not happen/],
  ['person.birthDate.getMonth() = currentMonth() and person.birthDate.getDayOfMonth() = currentDayOfMonth()', 'batch', /ignore year/],
  ['xEvent[(timestamp occurs < 24 hours before now) and eventType = "transaction"].sum(commerce.order.priceTotal) > 100', 'batch', /adds up or compares values/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(between date(2025, 1, 1) and date(2025, 1, 31))])', 'batch', /fixed dates/],
  ['chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(yesterday)])', 'batch', /longer than 24 hours \(2 days\)/],
];

test("Adobe's examples get Adobe's evaluation method, with a reason a marketer can read", () => {
  for (const [pql, method, reason] of ADOBE_DECISIONS) {
    const result = classify(pql);
    assert.equal(result.method, method, `${pql}\n${result.reasons.join('\n')}`);
    assert.ok(result.reasons.some((r) => reason.test(r)), `${pql}\n${result.reasons.join('\n')}`);
    assert.ok(result.reasons.every((r) => /so it (can be|is) evaluated (on the edge|in streaming|in batch)/.test(r)), result.reasons.join('\n'));
  }
});

test('an event combined with a profile-only audience stays real-time', () => {
  const pql = `inSegment("${CALIFORNIA}") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`;
  assert.equal(classify(pql, { isProfileOnlyAudience: (id) => id === CALIFORNIA }).method, 'edge');
  assert.equal(classify(pql, { isProfileOnlyAudience: () => false }).method, 'batch');
});

test('an entirely negated query is batch; a negated event beside a positive one is not rejected for its negation', () => {
  const partly = classify('chain(xEvent, timestamp, [A: WHAT(eventType = "view") WHEN(today)]) and not(chain(xEvent, timestamp, [C: WHAT(eventType = "checkout") WHEN(today)]))');
  assert.doesNotMatch(partly.reasons.join(' '), /did not happen/);
  assert.match(partly.reasons.join(' '), /not steps of one sequence/);
  assert.equal(classify('homeAddress.countryCode = "US" and not(chain(xEvent, timestamp, [X: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)]))').method, 'batch');
});

test("Meridian's streaming engine also keeps long windows, negations and sums current", () => {
  const longWindow = classify('chain(xEvent, timestamp, [A: WHAT(eventType = "purchase") WHEN(< 30 days before now)])');
  assert.equal(longWindow.method, 'batch');
  assert.equal(longWindow.meridianStreaming, true);
  assert.match(longWindow.meridianReasons.join(' '), /timers re-evaluate it when its time windows pass/);
  assert.equal(classify('xEvent[(timestamp occurs < 7 days before now)].sum(commerce.order.priceTotal) > 100').meridianStreaming, true);
  assert.equal(classify('not(chain(xEvent, timestamp, [A: WHAT(eventType = "x")]))').meridianStreaming, true);
});

test('only whole-history rescans stay batch-only in Meridian too', () => {
  const topN = classify('xEvent[timestamp occurs < 30 days before now].groupBy(category).map((K, G) => mapEntry(K, G.count()))');
  assert.equal(topN.meridianStreaming, false);
  assert.match(topN.meridianReasons.join(' '), /groups or ranks whole event histories/);
  const attributeWindow = classify('xEvent[timestamp occurs after ^.loyalty.joinedAt].count() > 3');
  assert.equal(attributeWindow.method, 'batch');
  assert.match(attributeWindow.reasons.join(' '), /against an attribute/);
  assert.equal(attributeWindow.meridianStreaming, false);
});

test('analysis lists the profile and event fields, functions and audiences a query reads', () => {
  const a = facts('homeAddress.countryCode = "US" and inSegment("s1") and chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart" and productListItems.exists(SKU = "PS")) WHERE(commerce.order.priceTotal > ^.loyalty.threshold)])');
  assert.deepEqual(a.profilePaths, ['homeAddress.countryCode', 'loyalty.threshold']);
  assert.deepEqual(a.eventPaths, ['commerce.order.priceTotal', 'eventType', 'productListItems', 'productListItems.SKU', 'timestamp']);
  assert.deepEqual(a.functions, ['=', '>', 'and', 'exists', 'inSegment']);
  assert.deepEqual(a.segmentIds, ['s1']);
  assert.equal(a.usesEvents, true);
  assert.equal(a.shape, 'singleEvent');
  assert.equal(a.resultKind, 'boolean');
});

test('analysis follows variables, nested arrays and ^ to the right root', () => {
  const a = facts('exists E from xEvent where E.commerce.order.priceTotal > 50, I from E.productListItems where I.SKU = x or I.name = person.name');
  assert.deepEqual(a.eventPaths, ['commerce.order.priceTotal', 'productListItems', 'productListItems.SKU', 'productListItems.name']);
  assert.deepEqual(a.profilePaths, ['person.name', 'x']);
  const up = facts('xEvent[productListItems[SKU = "PS" or ^.eventType = "x" or ^^.person.gender = "f"]]');
  assert.deepEqual(up.eventPaths, ['eventType', 'productListItems', 'productListItems.SKU']);
  assert.deepEqual(up.profilePaths, ['person.gender']);
  const grouped = facts('xEvent.groupBy(product).map((K, G) => mapEntry(K, G.sum(commerce.order.priceTotal)))');
  assert.deepEqual(grouped.eventPaths, ['commerce.order.priceTotal', 'product']);
  assert.equal(grouped.resultKind, 'any');
});

test('a chain over filtered events is still one sequence', () => {
  const a = facts('chain(xEvent[eventType != "x"], timestamp, [A: WHAT(eventType = "a") WHEN(today), B: WHAT(eventType = "b") WHEN(today)])');
  assert.deepEqual(a.eventReferences.map((r) => [r.form, r.step, r.group]), [['chain', 'A', 0], ['chain', 'B', 0]]);
  assert.equal(classifyEvaluation(a).method, 'streaming');
});

test('analysis measures the longest lookback of event windows', () => {
  const lookback = (pql: string) => facts(pql).longestLookback;
  const HOUR = 3_600_000;
  assert.equal(lookback('a = 1'), null);
  assert.equal(lookback(CHECKOUT_TODAY), 24 * HOUR);
  assert.equal(lookback('chain(xEvent, timestamp, [A: WHAT(x = 1) WHEN(< 8 days before now)])'), 8 * 24 * HOUR);
  assert.equal(lookback('chain(xEvent, timestamp, [A: WHAT(x = 1) WHEN(< 2 hours before now), B: WHAT(y = 1) WHEN(this week)])'), 7 * 24 * HOUR);
  assert.equal(lookback('xEvent[timestamp occurs < 3 hours before now or timestamp occurs yesterday].count() > 0'), 48 * HOUR);
  assert.equal(lookback('xEvent[timestamp occurs < 3 hours before now and timestamp occurs this year].count() > 0'), 3 * HOUR);
  assert.equal(lookback('xEvent[timestamp occurs before today]'), 'unbounded');
  assert.equal(lookback('xEvent[eventType = "x"]'), 'unbounded');
  assert.equal(lookback('select X from xEvent where X.timestamp occurs <= 3 days before now'), 3 * 24 * HOUR);
});

test('analysis notes negation, relative time and "ignore year"', () => {
  assert.equal(facts('not (a = 1)').hasNegation, true);
  assert.equal(facts('a != 1').hasNegation, false);
  assert.equal(facts('person.birthMonth = currentMonth()').usesRelativeTime, true);
  assert.equal(facts('ts occurs last week').usesRelativeTime, true);
  assert.equal(facts('ts occurs on date(2020, 1, 1)').usesRelativeTime, false);
  assert.equal(facts('person.birthDate.getMonth() = 6').ignoresYear, true);
  assert.equal(facts('person.birthDate.getMonth() = 6 and person.birthDate.getYear() = 1990').ignoresYear, false);
  assert.deepEqual(facts('forall E from xEvent where E.x = 1').eventReferences.map((r) => [r.use, r.negated]), [['forall', true]]);
  assert.deepEqual(facts('not (forall E from xEvent where E.x = 1)').eventReferences.map((r) => r.negated), [false]);
});
