import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaignDateTime, logRowToEvent, profileRecord, resolveColumns, type LogKind } from './log-mapping.ts';
import { CAMPAIGN_EVENT_SCHEMA_INPUT, CAMPAIGN_PROFILE_SCHEMA_INPUT } from './schemas.ts';
import { compileValidator } from '../schema/validate.ts';
import type { FieldDefinition, SchemaInput } from '../schema/model.ts';
import { campaignColumns, campaignRow } from '../activation/destinations/campaign/index.ts';

const validatorOf = (input: SchemaInput) =>
  compileValidator({ class: input.class, fieldGroups: input.fieldGroups ?? [], fields: (input.fields ?? {}) as Record<string, FieldDefinition>, required: input.required ?? [] });
const validateEvent = validatorOf(CAMPAIGN_EVENT_SCHEMA_INPUT);
const validateProfile = validatorOf(CAMPAIGN_PROFILE_SCHEMA_INPUT);

function map(kind: LogKind, row: Record<string, string>) {
  const header = Object.keys(row);
  const { columns } = resolveColumns(kind, header);
  return logRowToEvent(kind, columns, header.map((h) => row[h]));
}

const T = '2026-11-20 10:15:00';

// The mapping table of docs/campaign.md, one case per row: what Campaign says → the event type.
const CASES: { kind: LogKind; row: Record<string, string>; eventType: string; profile?: { emailStatus?: string; emailOptOut?: boolean } }[] = [
  { kind: 'broadlog', row: { iBroadLogId: '1', sEmail: 'a@x.test', tsEvent: T, iStatus: '1' }, eventType: 'directMarketing.emailSent' },
  { kind: 'broadlog', row: { iBroadLogId: '2', sEmail: 'a@x.test', tsEvent: T, iStatus: '6' }, eventType: 'directMarketing.emailDelivered' },
  { kind: 'broadlog', row: { iBroadLogId: '3', sEmail: 'a@x.test', tsEvent: T, iStatus: 'Delivered' }, eventType: 'directMarketing.emailDelivered' },
  { kind: 'broadlog', row: { iBroadLogId: '4', sEmail: 'a@x.test', tsEvent: T, iStatus: '2', iFailureType: '2', iFailureReason: '1' }, eventType: 'directMarketing.emailBounced', profile: { emailStatus: 'blocked', emailOptOut: true } },
  { kind: 'broadlog', row: { iBroadLogId: '5', sEmail: 'a@x.test', tsEvent: T, iStatus: '2', iFailureType: 'soft', iFailureReason: 'Mailbox full' }, eventType: 'directMarketing.emailBouncedSoft' },
  { kind: 'tracking', row: { iTrackingLogId: '7', sEmail: 'a@x.test', tsLog: T, iUrlType: '2' }, eventType: 'directMarketing.emailOpened' },
  { kind: 'tracking', row: { iTrackingLogId: '8', iRecipientId: 'C1', tsLog: T, sUrl: 'https://x.test/p', iUrlType: '1' }, eventType: 'directMarketing.emailClicked' },
  { kind: 'tracking', row: { iTrackingLogId: '9', iRecipientId: 'C1', tsLog: T, sUrl: 'https://x.test/unsub', iUrlType: '3' }, eventType: 'directMarketing.emailUnsubscribed', profile: { emailOptOut: true } },
  { kind: 'tracking', row: { iTrackingLogId: '10', sEmail: 'a@x.test', tsLog: T, sUrl: 'https://x.test/p' }, eventType: 'directMarketing.emailClicked' },
  { kind: 'quarantine', row: { sAddress: 'a@x.test', tsLastModified: T, iStatus: '0', iErrorType: '2' }, eventType: 'directMarketing.emailBounced', profile: { emailStatus: 'blocked', emailOptOut: true } },
  { kind: 'quarantine', row: { sAddress: 'a@x.test', tsLastModified: T, iStatus: 'quarantine', iErrorType: 'soft', iErrorCount: '3' }, eventType: 'directMarketing.emailBouncedSoft', profile: { emailStatus: 'blocked', emailOptOut: true } },
  { kind: 'quarantine', row: { sAddress: 'a@x.test', tsLastModified: T, iStatus: '3', iErrorReason: 'unsubscribed' }, eventType: 'directMarketing.emailUnsubscribed', profile: { emailStatus: 'blacklisted', emailOptOut: true } },
  { kind: 'quarantine', row: { sAddress: 'a@x.test', tsLastModified: T, iStatus: '2' }, eventType: 'directMarketing.emailAddressValid', profile: { emailStatus: 'active' } },
];

test('each Campaign log row becomes the documented event type, a valid record, and the documented profile change', () => {
  for (const c of CASES) {
    const { record, profile } = map(c.kind, c.row);
    assert.equal(record.eventType, c.eventType, JSON.stringify(c.row));
    assert.deepEqual(validateEvent(record), [], JSON.stringify(record));
    assert.equal(record.timestamp, '2026-11-20T10:15:00.000Z');
    assert.equal(profile?.emailStatus, c.profile?.emailStatus, JSON.stringify(c.row));
    assert.equal(profile?.emailOptOut, c.profile?.emailOptOut, JSON.stringify(c.row));
    if (profile) {
      const written = profileRecord(profile, 'p1');
      assert.ok(written);
      assert.deepEqual(validateProfile(written), [], JSON.stringify(written));
    }
  }
});

test('identities: the email and the recipient id land in identityMap as Email and CRMID', () => {
  const { record } = map('tracking', { iTrackingLogId: '1', iRecipientId: 'C9', sEmail: 'b@x.test', tsLog: T, sUrl: 'https://x.test', iUrlType: '1', iDeliveryId: '77' });
  assert.deepEqual(record.identityMap, { Email: [{ id: 'b@x.test' }], CRMID: [{ id: 'C9' }] });
  assert.equal(record._id, 'campaign:tracking:1');
  assert.deepEqual(record.directMarketing, { channel: 'email', deliveryID: '77', trackingURL: 'https://x.test', clicks: { value: 1 } });
});

test('a value Campaign should not have sent is kept where the schema refuses it, naming the field', () => {
  const badStatus = map('broadlog', { iBroadLogId: '1', sEmail: 'a@x.test', tsEvent: T, iStatus: '42' }).record;
  assert.deepEqual(validateEvent(badStatus).map((e) => e.path), ['campaign.status']);
  const badDate = map('broadlog', { iBroadLogId: '1', sEmail: 'a@x.test', tsEvent: '31/12/2026', iStatus: '1' }).record;
  assert.deepEqual(validateEvent(badDate).map((e) => e.path), ['timestamp']);
  const nobody = map('tracking', { tsLog: T, iUrlType: '2' }).record;
  assert.deepEqual(validateEvent(nobody).map((e) => e.path), ['identityMap']);
  const badType = map('broadlog', { iBroadLogId: '1', sEmail: 'a@x.test', tsEvent: T, iStatus: '2', iFailureType: '9' }).record;
  assert.deepEqual(validateEvent(badType).map((e) => e.path), ['campaign.failureType']);
  const badAddress = map('broadlog', { iBroadLogId: '1', sEmail: 'not-an-address', tsEvent: T, iStatus: '1' }).record;
  assert.deepEqual(validateEvent(badAddress).map((e) => e.path), ['campaign.address']);
  const sms = map('quarantine', { sAddress: 'a@x.test', tsLastModified: T, iStatus: '0', iType: '1' });
  assert.deepEqual(validateEvent(sms.record).map((e) => e.path), ['campaign.channel']);
  assert.equal(sms.profile, undefined, 'a non-email address changes no profile');
});

test('Campaign date-times: space or T, optional seconds and fraction, zone or UTC; impossible dates are kept as found', () => {
  assert.equal(campaignDateTime('2026-11-20 10:15:00'), '2026-11-20T10:15:00.000Z');
  assert.equal(campaignDateTime('2026-11-20T10:15'), '2026-11-20T10:15:00.000Z');
  assert.equal(campaignDateTime('2026-11-20 10:15:00.123+01'), '2026-11-20T09:15:00.123Z');
  assert.equal(campaignDateTime('2026-11-20 10:15:00+0530'), '2026-11-20T04:45:00.000Z');
  assert.equal(campaignDateTime('2026-11-20'), '2026-11-20T00:00:00.000Z');
  assert.equal(campaignDateTime('2026-02-30 10:00:00'), '2026-02-30 10:00:00');
  assert.equal(campaignDateTime('yesterday'), 'yesterday');
});

test('column names are matched without regard to case; missing required columns are named', () => {
  assert.deepEqual(resolveColumns('broadlog', ['IBROADLOGID', 'tsevent', 'ISTATUS']).missing, []);
  assert.deepEqual(resolveColumns('quarantine', ['sAddress']).missing.map((m) => m.field), ['eventDate', 'status']);
});

test('campaign destination rows: recipient id is the CRMID else the email; no email, no row; hashed identities stay out', () => {
  const columns = campaignColumns(['CRMID', 'Email', 'Email_LC_SHA256', 'firstName', 'tier', 'segmentMembershipStatus']);
  assert.deepEqual(columns, ['recipientId', 'email', 'firstName', 'lastName', 'tier', 'audienceId', 'audienceName', 'segmentStatus']);
  const audience = { id: 'aud_1', name: 'gold' };
  assert.deepEqual(campaignRow({ CRMID: 'C1|C9', Email: 'a@x.test', Email_LC_SHA256: 'ab', firstName: 'Ann', tier: 'gold', segmentMembershipStatus: 'realized' }, audience, columns), {
    recipientId: 'C1', email: 'a@x.test', firstName: 'Ann', tier: 'gold', audienceId: 'aud_1', audienceName: 'gold', segmentStatus: 'realized',
  });
  assert.equal(campaignRow({ Email: 'b@x.test', segmentMembershipStatus: 'existing' }, audience, columns)?.recipientId, 'b@x.test');
  assert.equal(campaignRow({ CRMID: 'C2', segmentMembershipStatus: 'realized' }, audience, columns), undefined);
});
