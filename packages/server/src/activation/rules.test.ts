import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashIdentity, destinationIdentities, identityField } from './identities.ts';
import { renderTemplate } from './destinations/webhook/template.ts';
import { classifyStatus, classifyThrown, DeliveryError, type DeliveryEvent } from './destinations/types.ts';
import { exportFileName, DEFAULT_FILE_NAME } from './destinations/file/naming.ts';
import { retryDelay } from './engine/backoff.ts';
import { TokenBucket } from './engine/rate-limiter.ts';
import { cronPattern } from './engine/scheduler.ts';
import { adOperations } from './destinations/ad-audience/index.ts';
import { csvLine } from './destinations/file/writers.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('identities are hashed as the suite does: trimmed, lower-cased email, phone digits, SHA-256 hex lower-case, no salt', () => {
  assert.equal(hashIdentity('Email', '  Ann@Example.COM '), sha('ann@example.com'));
  assert.equal(hashIdentity('Phone', ' +1 (650) 555-0100'), sha('16505550100'));
  assert.match(hashIdentity('CRMID', 'C1'), /^[0-9a-f]{64}$/);
  assert.equal(identityField('Email', true), 'Email_LC_SHA256');
  assert.equal(identityField('Email_LC_SHA256', true), 'Email_LC_SHA256');
  assert.equal(identityField('CRMID', false), 'CRMID');
  const out = destinationIdentities(
    [{ namespace: 'Email', id: 'a@x.io' }, { namespace: 'Email', id: 'b@x.io' }, { namespace: 'Email_LC_SHA256', id: sha('c@x.io') }, { namespace: 'ECID', id: '1' }],
    [{ namespace: 'Email', hashed: true, field: 'Email_LC_SHA256' }, { namespace: 'Email_LC_SHA256', hashed: true, field: 'Email_LC_SHA256' }],
  );
  assert.deepEqual(out, { Email_LC_SHA256: [sha('a@x.io'), sha('b@x.io'), sha('c@x.io')] }, 'already-hashed identities pass through; others are not sent');
  fc.assert(fc.property(fc.emailAddress(), (email) => hashIdentity('Email', ` ${email.toUpperCase()} `) === sha(email.toLowerCase())));
});

const event: DeliveryEvent = {
  id: 'e1',
  activationId: 'a',
  profileId: 'p',
  audience: { id: 'aud', name: 'gold', status: 'realized', lastQualificationTime: '2026-11-01T00:00:00.000Z' },
  attributes: { tier: 'gold', points: 12, tags: ['a'] },
  identities: { Email: ['ann@example.com'] },
  segmentMembership: { ups: { aud: { status: 'realized', lastQualificationTime: '2026-11-01T00:00:00.000Z' } } },
  timestamp: '2026-11-01T00:00:00.000Z',
};

test('webhook templates: whole placeholders keep JSON types, inline ones interpolate, unknown paths are null', () => {
  assert.deepEqual(
    renderTemplate({ p: '{{attributes.points}}', t: 'tier={{attributes.tier}} pts={{attributes.points}}', tags: '{{attributes.tags}}', e: '{{identity.Email}}', m: '{{attributes.missing}}', list: ['{{audience.status}}'] }, event),
    { p: 12, t: 'tier=gold pts=12', tags: ['a'], e: 'ann@example.com', m: null, list: ['realized'] },
  );
  assert.deepEqual(renderTemplate('{{identityMap}}', event), { Email: [{ id: 'ann@example.com' }] });
});

test('errors are classified: 408, 429 and 5xx retry; other 4xx are permanent; network failures and timeouts retry', () => {
  assert.equal(classifyStatus(200, ''), undefined);
  for (const s of [408, 429, 500, 502, 503]) assert.equal(classifyStatus(s, '')!.retryable, true, String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.equal(classifyStatus(s, '')!.retryable, false, String(s));
  assert.equal(classifyStatus(429, '', '7')!.retryAfterSeconds, 7);
  assert.equal(classifyThrown(Object.assign(new Error('t'), { name: 'TimeoutError' })).retryable, true);
  assert.equal(classifyThrown(new TypeError('fetch failed')).retryable, true);
  assert.equal(classifyThrown(new DeliveryError('x', false)).retryable, false);
  const refused = classifyThrown(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
  assert.equal(refused.retryable, true);
  assert.match(refused.message, /ECONNREFUSED/);
  assert.equal(classifyThrown(Object.assign(new Error('bad answer'), { code: 'HPE_INVALID_CONSTANT' })).retryable, true);
  assert.equal(classifyThrown(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' })).retryable, false);
});

test('backoff doubles per attempt with jitter between half and full, is capped, and honours Retry-After', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  assert.equal(retryDelay(1, policy, () => 1), 1000);
  assert.equal(retryDelay(3, policy, () => 1), 4000);
  assert.equal(retryDelay(3, policy, () => 0), 2000);
  assert.equal(retryDelay(30, policy, () => 1), 60_000);
  assert.equal(retryDelay(1, policy, () => 1, 10), 10_000);
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
    const d = retryDelay(attempt, policy, () => r);
    return d >= 500 && d <= 60_000;
  }));
});

test('the rate limiter lets a second\'s worth through at once, then spaces sends', () => {
  let now = 0;
  const bucket = new TokenBucket(10, () => now);
  assert.equal(bucket.take(10), 0);
  assert.equal(bucket.take(5), 500);
  now = 1500;
  assert.equal(bucket.take(5), 0);
});

test('file names follow the suite\'s template and number the parts of a split audience', () => {
  const parts = { destination: 'Salesforce Marketing Cloud', destinationId: 'd1', segmentId: '12341e18-abcd', segmentName: 'Gold members', sandboxName: 'prod', at: new Date('2020-04-08T06:18:04Z') };
  assert.equal(exportFileName(DEFAULT_FILE_NAME, parts, 'csv', 1), 'Salesforce_Marketing_Cloud_segment12341e18-abcd_20200408061804.csv');
  assert.equal(exportFileName('%SEGMENT_NAME%_%SANDBOX_NAME%', parts, 'jsonl.gz', 2), 'Gold_members_prod_2.jsonl.gz');
  assert.equal(csvLine(['a', 'b,c', 'say "hi"', 3, null], ','), 'a,"b,c","say ""hi""",3,\n');
});

test('batch schedules become cron patterns in UTC', () => {
  assert.equal(cronPattern({ type: 'batch', frequency: 'daily', at: '06:30' }), '30 6 * * *');
  assert.equal(cronPattern({ type: 'batch', frequency: 'hourly', at: '00:15' }), '15 * * * *');
  assert.equal(cronPattern({ type: 'batch', frequency: 'everyNHours', everyHours: 6, at: '08:00' }), '0 2/6 * * *');
  assert.equal(cronPattern({ type: 'batch', frequency: 'once' }), undefined);
  assert.equal(cronPattern({ type: 'streaming' }), undefined);
});

test('ad audience operations group adds and removes by audience', () => {
  const ops = adOperations([
    { ...event, id: '1', identities: { Email_LC_SHA256: ['e1'], Phone_SHA256: ['p1'] } },
    { ...event, id: '2', identities: { Phone_SHA256: ['p2'] } },
    { ...event, id: '3', audience: { ...event.audience, status: 'exited' }, identities: { Email_LC_SHA256: ['e3'] } },
    { ...event, id: '4', identities: {} },
  ]);
  assert.deepEqual(ops.map((o) => [o.action, o.data]), [
    ['add', [['e1', 'p1'], ['', 'p2']]],
    ['remove', [['e3', '']]],
  ]);
});
