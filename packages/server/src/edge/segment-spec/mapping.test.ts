import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readMessage, type SegmentMessage } from './message.ts';
import { mapMessage, TRACK_EVENT_TYPE } from './mapping.ts';
import { compileValidator } from '../../schema/validate.ts';
import type { FieldDefinition } from '../../schema/model.ts';
import { SEGMENT_EVENT_SCHEMA, SEGMENT_PROFILE_SCHEMA } from './schemas.ts';

const NOW = Date.parse('2026-11-01T10:00:05.000Z');
const ECID = '05907638112924484241029082405297151763';

function read(raw: unknown): SegmentMessage {
  const result = readMessage(raw, { receivedAt: NOW });
  assert.ok(result.ok, JSON.stringify(result));
  return result.message;
}

const validEvent = compileValidator({ class: 'event', fieldGroups: SEGMENT_EVENT_SCHEMA.fieldGroups ?? [], fields: SEGMENT_EVENT_SCHEMA.fields as Record<string, FieldDefinition>, required: [] });
const validProfile = compileValidator({ class: 'profile', fieldGroups: SEGMENT_PROFILE_SCHEMA.fieldGroups ?? [], fields: SEGMENT_PROFILE_SCHEMA.fields as Record<string, FieldDefinition>, required: [] });

describe('Segment messages are checked one by one', () => {
  test('a track call without an event name is described, not guessed', () => {
    assert.deepEqual(readMessage({ type: 'track', userId: 'u1' }, { receivedAt: NOW }), { ok: false, errors: [{ path: 'event', message: 'is required for a track call' }] });
  });

  test('a message without any identity is refused', () => {
    const result = readMessage({ type: 'page', name: 'Home' }, { receivedAt: NOW });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors, [{ path: 'userId', message: 'a message needs a userId or an anonymousId' }]);
  });

  test('wrong types and bad timestamps are named by field', () => {
    const result = readMessage({ type: 'track', event: 'X', userId: { id: 1 }, anonymousId: 'a', timestamp: 'yesterday', properties: [1] }, { receivedAt: NOW });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors.map((e) => e.path).sort(), ['properties', 'timestamp', 'userId']);
  });

  test('an unknown type is refused; a single-call endpoint imposes its own type', () => {
    assert.equal(readMessage({ type: 'purchase', userId: 'u' }, { receivedAt: NOW }).ok, false);
    const forced = readMessage({ type: 'purchase', userId: 'u', name: 'Home' }, { receivedAt: NOW, type: 'page' });
    assert.ok(forced.ok && forced.message.type === 'page');
  });

  test('a message over 32 KB is refused alone', () => {
    const result = readMessage({ type: 'track', event: 'Big', userId: 'u', properties: { blob: 'x'.repeat(33 * 1024) } }, { receivedAt: NOW });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.errors[0].message : '', /at most 32 KB/);
  });

  test('originalTimestamp is corrected by the sender clock skew (sentAt vs receivedAt), as Segment does', () => {
    // The sender's clock is 1 hour behind ours: sentAt says 09:00:05 when we receive at 10:00:05.
    const message = read({ type: 'track', event: 'X', userId: 'u', originalTimestamp: '2026-11-01T09:00:00.000Z', sentAt: '2026-11-01T09:00:05.000Z' });
    assert.equal(message.timestamp, '2026-11-01T10:00:00.000Z');
    const explicit = read({ type: 'track', event: 'X', userId: 'u', timestamp: '2026-10-01T00:00:00Z', sentAt: '2026-11-01T09:00:05.000Z' });
    assert.equal(explicit.timestamp, '2026-10-01T00:00:00.000Z');
    assert.equal(read({ type: 'track', event: 'X', userId: 'u' }).timestamp, new Date(NOW).toISOString());
  });
});

describe('Segment messages become XDM records that fit the standard Segment schemas', () => {
  test('a page call is a page view with the page details, context and identities', () => {
    const { target, record } = mapMessage(read({
      type: 'page', name: 'Pricing', category: 'Docs', userId: 'u1', anonymousId: 'anon-1', messageId: 'm-1', timestamp: '2026-11-01T10:00:00Z',
      properties: { url: 'https://shop.example.com/pricing', referrer: 'https://google.com/', plan: 'pro', seats: 3 },
      context: { ip: '203.0.113.9', locale: 'en-US', userAgent: 'Mozilla/5.0', library: { name: 'analytics.js', version: '5.0.0' }, screen: { width: 1280, height: 800 }, campaign: { name: 'spring', source: 'newsletter', medium: 'email' }, traits: { email: 'secret@example.com' } },
    }));
    assert.equal(target, 'event');
    assert.deepEqual(validEvent(record), []);
    assert.equal(record._id, 'm-1');
    assert.equal(record.eventType, 'web.webpagedetails.pageViews');
    assert.deepEqual(record.web, {
      webPageDetails: { URL: 'https://shop.example.com/pricing', name: 'Pricing', siteSection: 'Docs', pageViews: { value: 1 } },
      webReferrer: { URL: 'https://google.com/' },
    });
    assert.deepEqual(record.identityMap, {
      CRMID: [{ id: 'u1', authenticatedState: 'authenticated', primary: true }],
      segment_anonymous_id: [{ id: 'anon-1', authenticatedState: 'ambiguous' }],
    });
    assert.deepEqual(record.environment, { type: 'browser', browserDetails: { userAgent: 'Mozilla/5.0' }, language: 'en-US', ipV4: '203.0.113.9' });
    assert.deepEqual(record.device, { screenWidth: 1280, screenHeight: 800 });
    assert.deepEqual(record.marketing, { campaignName: 'spring', trackingCode: 'newsletter', channel: 'email' });
    const segment = (record._meridian as { segment: Record<string, unknown> }).segment;
    assert.deepEqual(segment.properties, { url: 'https://shop.example.com/pricing', referrer: 'https://google.com/', plan: 'pro', seats: '3' });
    assert.deepEqual(segment.library, { name: 'analytics.js', version: '5.0.0' });
    assert.equal((segment.context as Record<string, string>).traits, undefined, 'context.traits (personal data) is not copied into events');
  });

  test('a custom track call keeps its name and properties under _meridian.segment', () => {
    const { record } = mapMessage(read({ type: 'track', event: 'Signed Up', anonymousId: ECID, messageId: 'm-2', properties: { plan: 'pro', trial: true, seats: { max: 5 } } }));
    assert.deepEqual(validEvent(record), []);
    assert.equal(record.eventType, TRACK_EVENT_TYPE);
    assert.deepEqual(record.identityMap, { ECID: [{ id: ECID, authenticatedState: 'ambiguous', primary: true }] }, 'an ECID-shaped anonymousId is an ECID');
    const segment = (record._meridian as { segment: Record<string, unknown> }).segment;
    assert.equal(segment.event, 'Signed Up');
    assert.deepEqual(segment.properties, { plan: 'pro', trial: 'true', seats: '{"max":5}' });
  });

  test('an Order Completed call is a purchase with its order and products', () => {
    const { record } = mapMessage(read({
      type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm-3',
      properties: { order_id: 'o-9', revenue: 59.5, currency: 'eur', products: [{ product_id: 'p1', name: 'Shoe', price: 20, quantity: 2 }, { sku: 'p2', price: 19.5 }] },
    }));
    assert.deepEqual(validEvent(record), []);
    assert.equal(record.eventType, 'commerce.purchases');
    assert.deepEqual(record.commerce, { purchases: { value: 1 }, order: { purchaseID: 'o-9', priceTotal: 59.5, currencyCode: 'EUR' } });
    assert.deepEqual(record.productListItems, [
      { SKU: 'p1', name: 'Shoe', quantity: 2, priceTotal: 40, currencyCode: 'EUR' },
      { SKU: 'p2', priceTotal: 19.5, currencyCode: 'EUR' },
    ]);
  });

  test('a screen call is a view in an application', () => {
    const { record } = mapMessage(read({ type: 'screen', name: 'Settings', userId: 'u1', context: { app: { name: 'Shop', version: '1.2' }, os: { name: 'iOS', version: '18.1' }, device: { type: 'ios', model: 'iPhone16,1' } } }));
    assert.deepEqual(validEvent(record), []);
    assert.equal((record.web as { webPageDetails: { viewName: string } }).webPageDetails.viewName, 'Settings');
    assert.deepEqual(record.environment, { type: 'application', operatingSystem: 'iOS', operatingSystemVersion: '18.1' });
    assert.deepEqual(record.device, { model: 'iPhone16,1' }, 'a device type outside the XDM enum is not forced in');
  });

  test('a group call is an event carrying the group id and traits', () => {
    const { target, record } = mapMessage(read({ type: 'group', groupId: 'acme', userId: 'u1', traits: { name: 'Acme', employees: 120 } }));
    assert.equal(target, 'event');
    assert.deepEqual(validEvent(record), []);
    assert.equal(record.eventType, 'segment.group');
    const segment = (record._meridian as { segment: Record<string, unknown> }).segment;
    assert.equal(segment.groupId, 'acme');
    assert.deepEqual(segment.traits, { name: 'Acme', employees: '120' });
  });

  test('identify traits land on XDM profile fields; the rest stay as custom traits', () => {
    const { target, record } = mapMessage(read({
      type: 'identify', userId: 'u1', anonymousId: 'anon-1', messageId: 'm-4',
      traits: { email: 'Ann@Example.com', phone: '+1 555 0100', firstName: 'Ann', last_name: 'Lee', birthday: '1990-04-01T00:00:00Z', gender: 'F', plan: 'pro', logins: 4, address: { city: 'Lyon', country: 'fr', postalCode: '69001' } },
    }));
    assert.equal(target, 'profile');
    assert.deepEqual(validProfile(record), []);
    assert.deepEqual(record.personalEmail, { address: 'Ann@Example.com' });
    assert.deepEqual(record.mobilePhone, { number: '+1 555 0100' });
    assert.deepEqual(record.person, { name: { firstName: 'Ann', lastName: 'Lee' }, birthDate: '1990-04-01', gender: 'female' });
    assert.deepEqual(record.homeAddress, { city: 'Lyon', postalCode: '69001', country: 'fr', countryCode: 'FR' });
    assert.deepEqual((record._meridian as { segment: { traits: unknown } }).segment.traits, { plan: 'pro', logins: '4' });
  });

  test('RudderStack identify traits (in context.traits) are read too', () => {
    const { record } = mapMessage(read({ type: 'identify', userId: 'u2', context: { traits: { email: 'bo@example.com' } } }));
    assert.deepEqual(record.personalEmail, { address: 'bo@example.com' });
  });

  test('an alias links the previous id with the user id', () => {
    const { target, record } = mapMessage(read({ type: 'alias', userId: 'u1', previousId: 'anon-9' }));
    assert.equal(target, 'profile');
    assert.deepEqual(validProfile(record), []);
    assert.deepEqual(record.identityMap, {
      CRMID: [{ id: 'u1', authenticatedState: 'authenticated', primary: true }],
      segment_anonymous_id: [{ id: 'anon-9', authenticatedState: 'ambiguous' }],
    });
  });
});
