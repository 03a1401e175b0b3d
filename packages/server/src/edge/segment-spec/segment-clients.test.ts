/**
 * The real, unmodified Segment-spec clients (@segment/analytics-node, @rudderstack/rudder-sdk-node)
 * pointed at a running Meridian: what they send must land on the person's profile and timeline.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { startTestServer, type TestServer } from '../../testing/harness.ts';

interface ProfileIdentity {
  namespace: string;
  id: string;
}

describe('real Segment-spec clients against Meridian', () => {
  let server: TestServer;
  let writeKey: string;
  before(async () => {
    server = await startTestServer();
    writeKey = (await server.api('POST', '/api/v1/sources', { name: 'node-backend' })).body.writeKey;
  });
  after(() => server.stop());

  test('@segment/analytics-node: identify, track, page, screen, group and alias reach one profile', async () => {
    const analytics = new SegmentAnalytics({ writeKey, host: server.url, flushAt: 50, flushInterval: 50, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (err) => failures.push(err));
    analytics.identify({ userId: 'seg-user', anonymousId: 'seg-anon', traits: { email: 'Sam@Example.com', firstName: 'Sam', lastName: 'Ito', plan: 'team', phone: '+1 (555) 010-0199' } });
    analytics.track({ userId: 'seg-user', event: 'Order Completed', properties: { order_id: 'o-100', revenue: 42.5, currency: 'USD', products: [{ sku: 'sku-1', name: 'Mug', price: 21.25, quantity: 2 }] } });
    analytics.track({ userId: 'seg-user', event: 'Signed Up', properties: { referrer: 'friend' } });
    analytics.page({ anonymousId: 'seg-anon', name: 'Pricing', category: 'Marketing', properties: { url: 'https://shop.example.com/pricing' } });
    analytics.screen({ userId: 'seg-user', name: 'Settings' });
    analytics.group({ userId: 'seg-user', groupId: 'org-7', traits: { name: 'Example Org' } });
    analytics.alias({ userId: 'seg-user', previousId: 'seg-old-anon' });
    await analytics.closeAndFlush({ timeout: 5000 });
    assert.deepEqual(failures, []);

    const profile = await server.api('GET', '/api/v1/profiles?identity=CRMID:seg-user');
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.deepEqual(
      (profile.body.identities as ProfileIdentity[]).map((i) => `${i.namespace}:${i.id}`).sort(),
      ['CRMID:seg-user', 'Email:sam@example.com', 'Phone:+15550100199', 'segment_anonymous_id:seg-anon', 'segment_anonymous_id:seg-old-anon'],
    );
    assert.deepEqual(profile.body.attributes.person.name, { firstName: 'Sam', lastName: 'Ito' });
    assert.equal(profile.body.attributes.personalEmail.address, 'Sam@Example.com');
    assert.equal(profile.body.attributes._meridian.segment.traits.plan, 'team');

    const timeline = (await server.api('GET', '/api/v1/profiles/events?identity=segment_anonymous_id:seg-old-anon')).body.items as Record<string, unknown>[];
    const byType = (t: string) => timeline.filter((e) => e.eventType === t);
    assert.equal(timeline.length, 5, JSON.stringify(timeline.map((e) => e.eventType)));
    const [purchase] = byType('commerce.purchases');
    assert.deepEqual(purchase.commerce, { purchases: { value: 1 }, order: { purchaseID: 'o-100', priceTotal: 42.5, currencyCode: 'USD' } });
    assert.deepEqual(purchase.productListItems, [{ SKU: 'sku-1', name: 'Mug', quantity: 2, priceTotal: 42.5, currencyCode: 'USD' }]);
    const segment = (purchase._meridian as { segment: Record<string, unknown> }).segment;
    assert.equal((segment.library as { name: string }).name, '@segment/analytics-node');
    assert.equal(purchase._id, segment.messageId, 'the messageId is the record _id');
    const [signUp] = byType('segment.track');
    assert.equal((signUp._meridian as { segment: { event: string } }).segment.event, 'Signed Up');
    assert.equal(byType('web.webpagedetails.pageViews').length, 2, 'page and screen');
    assert.equal(byType('segment.group').length, 1);
  });

  test('@rudderstack/rudder-sdk-node: gzip bodies labelled as forms, originalTimestamp, traits in context', async () => {
    const failures: unknown[] = [];
    const client = new RudderAnalytics(writeKey, { dataPlaneUrl: server.url, flushAt: 50, flushInterval: 60_000, retryCount: 0, logLevel: 'error', errorHandler: (err) => failures.push(err) });
    // The first call is flushed alone, at once; the rest wait for flush().
    client.identify({ userId: 'rud-user', anonymousId: 'rud-anon', traits: { email: 'rudy@example.com', firstName: 'Rudy', company: 'Acme' } });
    client.track({ userId: 'rud-user', event: 'Product Viewed', properties: { product_id: 'p-9', name: 'Lamp', price: 30 } });
    client.page({ anonymousId: 'rud-anon', name: 'Home', properties: { url: 'https://shop.example.com/' } });
    client.screen({ userId: 'rud-user', name: 'Checkout' });
    client.group({ userId: 'rud-user', groupId: 'acme', traits: { plan: 'enterprise' } });
    client.alias({ userId: 'rud-user', previousId: 'rud-previous' });
    await client.flush();
    await client.flush();
    assert.deepEqual(failures, []);

    const profile = await server.api('GET', '/api/v1/profiles?identity=Email:rudy@example.com');
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.deepEqual(
      (profile.body.identities as ProfileIdentity[]).map((i) => `${i.namespace}:${i.id}`).sort(),
      ['CRMID:rud-user', 'Email:rudy@example.com', 'segment_anonymous_id:rud-anon', 'segment_anonymous_id:rud-previous'],
    );
    assert.equal(profile.body.attributes.person.name.firstName, 'Rudy');
    assert.equal(profile.body.attributes._meridian.segment.traits.company, 'Acme');

    const timeline = (await server.api('GET', '/api/v1/profiles/events?identity=CRMID:rud-user')).body.items as Record<string, unknown>[];
    assert.deepEqual(timeline.map((e) => e.eventType).sort(), ['commerce.productViews', 'segment.group', 'web.webpagedetails.pageViews', 'web.webpagedetails.pageViews']);
    const view = timeline.find((e) => e.eventType === 'commerce.productViews');
    assert.deepEqual(view?.productListItems, [{ SKU: 'p-9', name: 'Lamp', priceTotal: 30 }]);
    const sentAt = Date.parse(String((view?._meridian as { segment: { sentAt: string } }).segment.sentAt));
    assert.ok(Math.abs(Date.parse(String(view?.timestamp)) - sentAt) < 60_000, 'the time comes from originalTimestamp');
    assert.equal((view?._meridian as { segment: { channel: string } }).segment.channel, 'server');
  });
});
