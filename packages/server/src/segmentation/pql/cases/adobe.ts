/**
 * Conformance cases that keep Adobe's published expressions word for word (the reference notes'
 * §1.4 table and the streaming/edge eligibility tables), each over data that makes it true and,
 * where useful, data that makes it false.
 */
import { NOW, VISIT_EVENTS, event, type PqlCase } from './fixtures.ts';

const CHECKOUT_TODAY = [event('k1', '2025-06-18T08:00:00Z', 'directMarketing.emailClicked'), event('k2', '2025-06-18T09:30:00Z', 'commerce.checkouts')];
const CHECKOUT_TWO_DAYS_AGO = [event('k3', '2025-06-16T09:30:00Z', 'commerce.checkouts')];
const CALIFORNIA = 'e3be6d7f-1727-401f-a41e-c296b45f607a';

const adobe = (name: string, pql: string, profile: PqlCase['profile'], events: PqlCase['events'], expected: boolean, source: string, extra: Partial<PqlCase> = {}): PqlCase => ({
  name, pql, profile, events, now: NOW, expected, source, ...extra,
});

export const ADOBE_CASES: PqlCase[] = [
  adobe('Canada residents born in 1985', 'homeAddress.countryISO = "CA" and person.birthYear = 1985', { homeAddress: { countryISO: 'CA' }, person: { birthYear: 1985 } }, [], true, 'boolean-functions'),
  adobe('Canada residents born in 1985: born 1986', 'homeAddress.countryISO = "CA" and person.birthYear = 1985', { homeAddress: { countryISO: 'CA' }, person: { birthYear: 1986 } }, [], false, 'boolean-functions'),
  adobe('email contains a substring', 'person.emailAddress.contains("2010@gm")', { person: { emailAddress: 'kim2010@gmail.com' } }, [], true, 'string-functions'),
  adobe('city like %es%', 'city like "%es%"', { city: 'Paris' }, [], false, 'string-functions'),
  adobe('born 1991-95', 'person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]', { person: { birthday: '1996-01-01' } }, [], false, 'datetime-functions'),
  adobe('sold between two dates', 'product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)', { product: { saleDate: '2016-02-29T12:00:00Z' } }, [], true, 'datetime-functions'),
  adobe('sold last week', 'product.saleDate occurs last week', { product: { saleDate: '2025-06-15T23:59:59Z' } }, [], true, 'datetime-functions'),
  adobe('sold exactly three hours before', 'product.saleDate occurs = 3 hours before now', { product: { saleDate: '2025-06-18T12:00:00Z' } }, [], true, 'datetime-functions', { why: '12:00 is the start of the third hour back' }),
  adobe('birthday three days ago', 'person.birthday occurs = 3 days before today', { person: { birthday: '2025-06-15' } }, [], true, 'datetime-functions'),
  adobe('an event before today', 'select X from xEvent where X.timestamp occurs before today', {}, [event('o1', '2025-06-17T09:00:00Z', 'x')], true, 'overview'),
  adobe('an event last month', 'select X from xEvent where X.timestamp occurs last month', {}, [event('o1', '2025-06-17T09:00:00Z', 'x')], false, 'overview'),
  adobe('an event in the last three days', 'select X from xEvent where X.timestamp occurs <= 3 days before now', {}, [event('o1', '2025-06-17T09:00:00Z', 'x')], true, 'overview'),
  adobe('people with a home country', 'person.homeAddress.isNotNull()', { person: { homeAddress: { country: 'FR' } } }, [], true, 'object-functions'),
  adobe('people without a home address', 'person.homeAddress.isNull()', { person: { name: 'x' } }, [], true, 'object-functions'),
  adobe('profile only: US (any case)', 'homeAddress.country.equals("US", false)', { homeAddress: { country: 'us' } }, [], true, 'segmentation/methods/streaming-segmentation'),
  adobe('profile only: not US', 'homeAddress.country.equals("US", false)', { homeAddress: { country: 'CA' } }, [], false, 'segmentation/methods/streaming-segmentation'),
  adobe('profile attribute and a checkout today', 'workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])',
    { workAddress: { country: 'US' } }, CHECKOUT_TODAY, true, 'segmentation/methods/streaming-segmentation'),
  adobe('profile attribute and a checkout two days ago', 'workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])',
    { workAddress: { country: 'US' } }, CHECKOUT_TWO_DAYS_AGO, false, 'segmentation/methods/streaming-segmentation'),
  adobe('an email click then a checkout, both today', 'workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("directMarketing.emailClicked", false)) WHEN(today), C1: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])',
    { workAddress: { country: 'US' } }, CHECKOUT_TODAY, true, 'segmentation/methods/streaming-segmentation'),
  adobe('a batch audience and a checkout in 24 hours', `inSegment("${CALIFORNIA}") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`,
    {}, CHECKOUT_TODAY, true, 'segmentation/methods/streaming-segmentation', { segments: [CALIFORNIA] }),
  adobe('a checkout in 24 hours but not in the batch audience', `inSegment("${CALIFORNIA}") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`,
    {}, CHECKOUT_TODAY, false, 'segmentation/methods/streaming-segmentation', { segments: [] }),
  adobe('five home page views in 24 hours', 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )', {}, VISIT_EVENTS.filter((e) => e._id !== 'c5'), false, 'segmentation/api/edge-segmentation', {
    why: 'without yesterday evening\'s view only four remain',
  }),
  adobe('events with a PS line item', 'xEvent[productListItems[SKU="PS"]]', {}, [event('p1', '2025-06-01T00:00:00Z', 'commerce.checkouts', { productListItems: [{ SKU: 'PS' }] })], true, 'filter-functions'),
];
