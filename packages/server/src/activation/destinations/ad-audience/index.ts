/**
 * People-based ad audience (Customer Match style): members are matched by SHA-256 hashed email and
 * phone (normalized per the suite: trimmed, lower-cased email; phone digits with country code; hex
 * lower-case, no salt), sent in batches of add/remove operations grouped by audience:
 *
 *   POST <url>  { "operations": [ { "audienceId", "audienceName", "action": "add"|"remove",
 *                                   "schema": ["EMAIL_SHA256", "PHONE_SHA256"], "data": [[email, phone], ...] } ] }
 *
 * with `authorization: Bearer <accessToken>` and an `idempotency-key` per batch.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { authorization, httpUrlIssue, sendHttp } from '../http.ts';
import type { DeliveryEvent, DestinationDefinition, SettingsIssue } from '../types.ts';

export const AdAudienceSettings = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'the partner\'s audience-members endpoint' }),
    accessToken: Type.String({ minLength: 1, maxLength: 4000 }),
    /** Partner audiences are named `<prefix><audience name>`. */
    audienceNamePrefix: Type.Optional(Type.String({ maxLength: 100 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
    rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type AdAudienceSettings = Static<typeof AdAudienceSettings>;

export const EMAIL_FIELD = 'Email_LC_SHA256';
export const PHONE_FIELD = 'Phone_SHA256';

interface Operation {
  audienceId: string;
  audienceName: string;
  action: 'add' | 'remove';
  schema: ['EMAIL_SHA256', 'PHONE_SHA256'];
  data: [string, string][];
}

/** Add/remove operations for a batch of membership changes, one per audience and action. */
export function adOperations(events: readonly DeliveryEvent[], prefix = ''): Operation[] {
  const byKey = new Map<string, Operation>();
  for (const event of events) {
    const emails = event.identities[EMAIL_FIELD] ?? [];
    const phones = event.identities[PHONE_FIELD] ?? [];
    const rows: [string, string][] = emails.length > 0 ? emails.map((e) => [e, phones[0] ?? '']) : phones.map((p) => ['', p]);
    if (rows.length === 0) continue;
    const action = event.audience.status === 'exited' ? 'remove' : 'add';
    const key = `${event.audience.id}/${action}`;
    let op = byKey.get(key);
    if (!op) {
      op = { audienceId: event.audience.id, audienceName: `${prefix}${event.audience.name}`, action, schema: ['EMAIL_SHA256', 'PHONE_SHA256'], data: [] };
      byKey.set(key, op);
    }
    op.data.push(...rows);
  }
  return [...byKey.values()];
}

export const adAudience: DestinationDefinition<AdAudienceSettings> = {
  type: 'ad-audience',
  name: 'People-based ad audience',
  description: 'Hashed email/phone add and remove batches to an advertising platform audience API',
  settings: AdAudienceSettings,
  secrets: ['accessToken'],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    const urlIssue = httpUrlIssue(settings.url);
    if (urlIssue) issues.push({ path: 'url', message: urlIssue });
    return issues;
  },
  defaultMappings: [],
  identities: { namespaces: ['Email', 'Phone', 'Email_LC_SHA256', 'Phone_SHA256'], minimum: 1, hashing: 'required' },
  schedules: ['streaming', 'batch'],
  // Ad platforms are third parties: a person must allow sharing (the suite's `share`).
  consentPurposes: () => ['share'],
  maxBatchSize: (settings) => settings.batchSize ?? 1000,
  rateLimitPerSecond: (settings) => settings.rateLimitPerSecond,
  async perform(event, context) {
    await this.performBatch!([event], context);
  },
  async performBatch(events, context) {
    const operations = adOperations(events, context.settings.audienceNamePrefix);
    if (operations.length === 0) return; // nobody in the batch has a matchable identity
    const key = createHash('sha256').update(events.map((e) => e.id).join(',')).digest('hex').slice(0, 32);
    await sendHttp({
      url: context.settings.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...authorization({ type: 'bearer', token: context.settings.accessToken }) },
      body: JSON.stringify({ operations }),
      signal: context.signal,
    });
  },
};
