/**
 * SMS service audience sync: members' phone numbers in E.164 (`+` and 7–15 digits, normalized from
 * the Phone namespace: a leading `+` or `00` is the country code, otherwise the destination's
 * `defaultCountryCode` replaces a national trunk `0`), sent in batches with basic auth:
 *
 *   POST {baseUrl}/lists/{listId}/contacts   (authorization: Basic <accountId:authToken>, idempotency-key)
 *   { "contacts": [ { "phone": "+447700900123", "action": "upsert", "attributes": {…}, "tags": { "<audience>": true|false } },
 *                   { "phone": "+14155550100", "action": "remove" } ] }
 *
 * An exit untags the contact, or removes it once it has left every audience of the activation.
 * Numbers that cannot be made E.164 are not sent.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { normalizePhone } from '../../../identity/namespaces.ts';
import { authorization, httpUrlIssue } from '../http.ts';
import { DeliveryError, type DeliveryEvent, type DestinationDefinition, type SettingsIssue } from '../types.ts';
import { contactOperations } from '../email-service/contacts.ts';
import { postJson } from '../email-service/send.ts';

export const SmsServiceSettings = Type.Object(
  {
    baseUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'the service\'s API root' }),
    listId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    accountId: Type.String({ minLength: 1, maxLength: 200, description: 'basic auth user name' }),
    authToken: Type.String({ minLength: 1, maxLength: 4000, description: 'basic auth password' }),
    defaultCountryCode: Type.Optional(Type.String({ pattern: '^\\+?[1-9][0-9]{0,2}$', description: 'country calling code for numbers stored without one, e.g. "44"' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type SmsServiceSettings = Static<typeof SmsServiceSettings>;

/** A phone number in E.164 (`+<country code><number>`, 7–15 digits), or undefined when it cannot be one. */
export function toE164(raw: string, defaultCountryCode?: string): string | undefined {
  const phone = normalizePhone(raw);
  let digits: string;
  if (phone.startsWith('+')) digits = phone.slice(1);
  else if (phone.startsWith('00')) digits = phone.slice(2);
  else if (defaultCountryCode) digits = defaultCountryCode.replace(/^\+/, '') + phone.replace(/^0/, '');
  else return undefined;
  return /^[1-9][0-9]{6,14}$/.test(digits) ? `+${digits}` : undefined;
}

export function smsContacts(events: readonly DeliveryEvent[], defaultCountryCode?: string) {
  const phonesOf = (event: DeliveryEvent): string[] => {
    if (!event.identities.Phone && event.identities.Phone_SHA256) throw new DeliveryError('sms-service needs the plain Phone identity: map it with hashed: false', false);
    const out: string[] = [];
    for (const raw of event.identities.Phone ?? []) {
      const e164 = toE164(raw, defaultCountryCode);
      if (e164 && !out.includes(e164)) out.push(e164);
    }
    return out;
  };
  return contactOperations(events, phonesOf).map((op) =>
    op.action === 'remove' ? { phone: op.contact, action: 'remove' as const } : { phone: op.contact, action: 'upsert' as const, attributes: op.fields, tags: op.tags },
  );
}

export const smsService: DestinationDefinition<SmsServiceSettings> = {
  type: 'sms-service',
  name: 'SMS service audience',
  description: 'Audience members\' E.164 phone numbers upserted to (and removed from) an SMS service list, with attributes',
  settings: SmsServiceSettings,
  secrets: ['authToken'],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    const urlIssue = httpUrlIssue(settings.baseUrl);
    if (urlIssue) issues.push({ path: 'baseUrl', message: urlIssue });
    if (settings.accountId.includes(':')) issues.push({ path: 'accountId', message: 'may not contain ":" (basic auth)' });
    return issues;
  },
  defaultMappings: [{ source: 'person.name.firstName', destination: 'firstName' }],
  identities: { namespaces: ['Phone'], minimum: 1, hashing: 'never' },
  schedules: ['streaming', 'batch'],
  consentPurposes: () => ['sms'],
  maxBatchSize: (settings) => settings.batchSize ?? 100,
  rateLimitPerSecond: (settings) => settings.rateLimitPerSecond,
  async perform(event, context) {
    await this.performBatch!([event], context);
  },
  async performBatch(events, context) {
    const { settings } = context;
    const contacts = smsContacts(events, settings.defaultCountryCode);
    if (contacts.length === 0) return; // nobody in the batch has a usable number
    const key = createHash('sha256').update(events.map((e) => e.id).join(',')).digest('hex').slice(0, 32);
    await postJson(
      `${settings.baseUrl.replace(/\/+$/, '')}/lists/${encodeURIComponent(settings.listId)}/contacts`,
      { ...authorization({ type: 'basic', username: settings.accountId, password: settings.authToken }), 'idempotency-key': key },
      JSON.stringify({ contacts }),
      context.signal,
    );
  },
};
