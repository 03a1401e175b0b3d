/**
 * Conformance cases for `chain`: ordering (each step strictly after the previous one, greedy
 * earliest match), `COUNT(n)` as "at least n", `WHEN` windows on the ordering field, `WHERE`,
 * negation, keyword case, and the event-pattern examples of Adobe's streaming and edge pages.
 */
import { NOW, VISIT_EVENTS, VISITOR, event, type PqlCase, type XdmEvent } from './fixtures.ts';

const visit = (name: string, pql: string, expected: boolean, extra: Partial<PqlCase> = {}): PqlCase => ({ name, pql, profile: VISITOR, events: VISIT_EVENTS, now: NOW, expected, ...extra });
const own = (name: string, pql: string, events: XdmEvent[], expected: boolean, extra: Partial<PqlCase> = {}): PqlCase => ({ name, pql, profile: VISITOR, events, now: NOW, expected, ...extra });

const SAME_TIME = [event('x1', '2025-06-18T10:00:00Z', 'a'), event('x2', '2025-06-18T10:00:00Z', 'b')];
const ONE_SECOND_APART = [event('x1', '2025-06-18T10:00:00Z', 'a'), event('x2', '2025-06-18T10:00:01Z', 'b')];
const PLACED = [
  event('y1', '2025-06-17T10:00:00Z', 'a', { placedAt: '2025-06-18T12:00:00Z' }),
  event('y2', '2025-06-17T11:00:00Z', 'b', { placedAt: '2025-06-18T09:00:00Z' }),
];

export const CHAIN_CASES: PqlCase[] = [
  visit('a checkout today (Adobe streaming example)', 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])', true, { source: 'segmentation/methods/streaming-segmentation' }),
  visit('equals with false ignores the case of the event type', 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("COMMERCE.CHECKOUTS", false)) WHEN(today)])', true),
  visit('COUNT(5): five home page views in 24 hours (one yesterday evening)', 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('COUNT(6) needs six', 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(6)])', false),
  visit('COUNT(5) with WHEN(today) excludes yesterday evening', 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(today) COUNT(5)])', false),
  visit('not(chain(... COUNT(5)))', 'not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] ))', false, { source: 'segmentation/api/edge-segmentation' }),
  visit('two steps in order', 'chain(xEvent, timestamp, [C0: WHAT(eventType = "directMarketing.emailClicked") WHEN(today), C1: WHAT(eventType = "commerce.checkouts") WHEN(today)])', true),
  visit('two steps in the wrong order', 'chain(xEvent, timestamp, [C0: WHAT(eventType = "commerce.checkouts") WHEN(today), C1: WHAT(eventType = "directMarketing.emailClicked") WHEN(today)])', false),
  visit('three steps with a count in the middle', 'chain(xEvent, timestamp, [A: WHAT(eventType = "directMarketing.emailClicked"), B: WHAT(eventType = "homePageView") COUNT(2), C: WHAT(eventType = "commerce.checkouts")])', true, {
    why: 'email 09:00, views 10:00 and 11:00, checkout 12:00',
  }),
  visit('a count that pushes the next step too late', 'chain(xEvent, timestamp, [A: WHAT(eventType = "directMarketing.emailClicked"), B: WHAT(eventType = "homePageView") COUNT(3), C: WHAT(eventType = "commerce.checkouts")])', false, {
    why: 'the third view after the email is at 13:00; no checkout follows',
  }),
  own('steps at the same instant are not in sequence', 'chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b")])', SAME_TIME, false),
  own('one second later is in sequence', 'chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b")])', ONE_SECOND_APART, true),
  own('the ordering field can be another timestamp', 'chain(xEvent, placedAt, [A: WHAT(eventType = "b"), B: WHAT(eventType = "a")])', PLACED, true),
  own('the same steps ordered by timestamp instead', 'chain(xEvent, timestamp, [A: WHAT(eventType = "b"), B: WHAT(eventType = "a")])', PLACED, false),
  own('WHEN applies to the ordering field', 'chain(xEvent, placedAt, [A: WHAT(eventType = "a") WHEN(today)])', PLACED, true),
  own('events without the ordering field are ignored', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])', [event('n1', undefined, 'addToCart')], false),
  visit('WHERE adds a condition on the same event', 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts") WHERE(commerce.order.priceTotal > 100)])', true),
  visit('WHERE that no event meets', 'chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.checkouts") WHERE(commerce.order.priceTotal > 200)])', false),
  visit('a query referring to a map (Adobe edge example)', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHERE(externalSegmentMapProperty.values().exists(stringProperty="active"))])', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('a single event without a window', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('a single event with a profile attribute', 'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('a negated single event', 'not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView")]))', false, { source: 'segmentation/api/edge-segmentation' }),
  visit('a single event in a 24-hour window', 'chain(xEvent, timestamp, [X: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)])', false, { source: 'segmentation/api/edge-segmentation' }),
  visit('a single event in a window with a profile attribute', 'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [X: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)])', false, { source: 'segmentation/api/edge-segmentation' }),
  visit('a negated event in a window with a profile attribute', 'homeAddress.countryCode = "US" and not(chain(xEvent, timestamp, [X: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)]))', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('a frequency with a profile attribute', 'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )', true, { source: 'segmentation/api/edge-segmentation' }),
  visit('two events in 24 hours, one missing', 'chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 24 hours before now)]) and chain(xEvent, timestamp, [X: WHAT(eventType = "checkoutPageView") WHEN(< 24 hours before now)])', false, { source: 'segmentation/api/edge-segmentation' }),
  own('two events in 24 hours with a profile attribute', 'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [X: WHAT(eventType = "homePageView") WHEN(< 24 hours before now)]) and chain(xEvent, timestamp, [X: WHAT(eventType = "checkoutPageView") WHEN(< 24 hours before now)])',
    [...VISIT_EVENTS, event('c9', '2025-06-18T14:30:00Z', 'checkoutPageView')], true, { source: 'segmentation/api/edge-segmentation' }),
  visit('WHEN(<= 8 days before now) excludes an older event', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(<= 8 days before now)])', false, { why: 'the bound is 10 June 15:00; the add-to-cart was at 10:00' }),
  visit('WHEN(< 9 days before now)', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 9 days before now)])', true),
  visit('WHEN(last week)', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(last week)])', true),
  visit('WHEN(between ... and ...)', 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(between date(2025, 6, 1) and date(2025, 6, 10))])', true),
  visit('keywords in any case', 'Chain(xEvent, timestamp, [a: what(eventType = "addToCart") when(last week) count(1)])', true),
  visit('a chain over filtered events', 'chain(xEvent[eventType != "homePageView"], timestamp, [A: WHAT(eventType = "directMarketing.emailClicked"), B: WHAT(eventType = "commerce.checkouts")])', true),
  own('an item condition inside WHAT (Segment Builder output)', 'person.gender in ["male"] and CHAIN(xEvent, timestamp, [C0: WHAT(productListItems.exists(name.equals("MONTANA WIND JACKET", false)))])',
    [event('j1', '2025-06-01T10:00:00Z', 'commerce.productViews', { productListItems: [{ name: 'Montana Wind Jacket', SKU: 'MJ-1' }] })], true),
  own('two string tests inside WHAT (Segment Builder output)', 'CHAIN(xEvent, timestamp, [C0: WHAT(web.webPageDetails.name.equals("equipment", false) and _experienceplatform.demoEnvironment.brandName.contains("luma", false))])',
    [event('w1', '2025-06-18T10:00:00Z', 'web.webpagedetails.pageViews', { web: { webPageDetails: { name: 'Equipment' } }, _experienceplatform: { demoEnvironment: { brandName: 'Luma Retail' } } })], true),
];
