/**
 * The standard schemas and datasets of the campaign round trip, created in a sandbox on first use:
 * `campaign-event` (experience events from delivery, tracking and quarantine logs; the
 * `directMarketing` and `marketing` field groups plus a `campaign` object with the log's own ids)
 * and `campaign-profile` (deliverability and email consent written back to profiles).
 */
import type { FieldDefinition, SchemaInput } from '../schema/model.ts';

export const CAMPAIGN_EVENT_SCHEMA = 'campaign-event';
export const CAMPAIGN_PROFILE_SCHEMA = 'campaign-profile';
export const CAMPAIGN_EVENT_DATASET = 'campaign_events';
export const CAMPAIGN_PROFILE_DATASET = 'campaign_profiles';

const str = (extra: Partial<FieldDefinition> = {}): FieldDefinition => ({ type: 'string', ...extra });
const obj = (properties: Record<string, FieldDefinition>): FieldDefinition => ({ type: 'object', properties });

export const CAMPAIGN_EVENT_SCHEMA_INPUT: SchemaInput = {
  name: CAMPAIGN_EVENT_SCHEMA,
  title: 'Campaign delivery and tracking logs',
  description: 'Adobe Campaign broadLog, trackingLog and quarantine rows as experience events (POST /api/v1/campaign/logs/{kind})',
  class: 'event',
  fieldGroups: ['directMarketing', 'marketing'],
  fields: {
    campaign: obj({
      logType: str({ enum: ['broadlog', 'tracking', 'quarantine'] }),
      broadLogID: str({ maxLength: 64 }),
      deliveryID: str({ maxLength: 64 }),
      recipientID: str({ maxLength: 256 }),
      trackingLogID: str({ maxLength: 64 }),
      deliveryLabel: str({ maxLength: 500 }),
      campaignLabel: str({ maxLength: 500 }),
      address: str({ format: 'email' }),
      status: str({ enum: ['sent', 'delivered', 'failed'], description: 'broadLog iStatus: 1 sent, 2 failed, 6/7 delivered' }),
      failureType: str({ enum: ['soft', 'hard', 'ignored'] }),
      urlCategory: str({ enum: ['click', 'open', 'optOut', 'mirrorPage'], description: 'tracking URL type: 1 click, 2 open, 3 opt-out, 6 mirror page' }),
      url: str({ maxLength: 4096 }),
      addressStatus: str({ enum: ['quarantined', 'valid', 'denylisted'], description: 'nms:address iStatus: 0 quarantine, 2 valid, 3 denylisted' }),
      channel: str({ enum: ['email'] }),
      errorCount: { type: 'integer', minimum: 0 },
      quarantine: { type: 'boolean' },
      sourceRow: { type: 'object', additionalProperties: str(), description: 'the Campaign row as read; set only on rows that are rejected, so the rejection shows it' },
    }),
  },
  required: ['identityMap'],
};

export const CAMPAIGN_PROFILE_SCHEMA_INPUT: SchemaInput = {
  name: CAMPAIGN_PROFILE_SCHEMA,
  title: 'Campaign deliverability and email consent',
  description: 'Profile changes implied by Campaign logs: hard bounces, quarantine, denylist and opt-outs',
  class: 'profile',
  fieldGroups: ['contact', 'consents', 'crm'],
  fields: {
    campaignDeliverability: obj({
      status: str({ enum: ['valid', 'quarantined', 'denylisted'] }),
      failureType: str(),
      reason: str(),
      errorCount: { type: 'integer', minimum: 0 },
      updatedAt: str({ format: 'date-time' }),
    }),
  },
  identities: [
    { path: 'crm.crmId', namespace: 'CRMID', primary: true },
    { path: 'personalEmail.address', namespace: 'Email' },
  ],
  labels: { 'personalEmail.address': ['I1'] },
};
