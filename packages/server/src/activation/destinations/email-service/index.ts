/**
 * Email service (ESP) list sync, modelled on a generic contacts API: each batch of membership
 * changes becomes one request
 *
 *   POST {baseUrl}/lists/{listId}/members   (header <apiKeyHeader>: <apiKey>, idempotency-key)
 *   { "members": [ { "email", "action": "upsert", "status": "subscribed"|"pending", "mergeFields": {…}, "tags": { "<audience>": true|false } },
 *                  { "email", "action": "remove" } ] }
 *
 * Members are identified by their plain email (normalized by the Email namespace's rules: trimmed,
 * lower-cased, checked); mapped attributes travel as merge fields; an exit untags the member, or
 * removes it once it has left every audience of the activation.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { normalizeIdentity, standardNamespace } from '../../../identity/namespaces.ts';
import { httpUrlIssue } from '../http.ts';
import { DeliveryError, type DeliveryEvent, type DestinationDefinition, type SettingsIssue } from '../types.ts';
import { contactOperations } from './contacts.ts';
import { postJson } from './send.ts';

export const EmailServiceSettings = Type.Object(
  {
    baseUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'the service\'s API root, e.g. https://api.esp.example/3.0' }),
    listId: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    apiKey: Type.String({ minLength: 1, maxLength: 4000 }),
    apiKeyHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,100}$', default: 'x-api-key', description: 'header carrying the key; `authorization` sends `Bearer <apiKey>`' })),
    subscribeStatus: Type.Optional(Type.Union([Type.Literal('subscribed'), Type.Literal('pending')], { default: 'subscribed', description: '`pending` asks the service for a double opt-in' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
    rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type EmailServiceSettings = Static<typeof EmailServiceSettings>;

const EMAIL = standardNamespace('Email')!;

/** The event's emails, normalized by the Email namespace's rules; invalid ones are dropped. */
export function memberEmails(event: DeliveryEvent): string[] {
  if (!event.identities.Email && event.identities.Email_LC_SHA256) {
    throw new DeliveryError('email-service needs the plain Email identity: map it with hashed: false', false);
  }
  const out: string[] = [];
  for (const raw of event.identities.Email ?? []) {
    const normalized = normalizeIdentity(EMAIL, raw);
    if (normalized.ok && !out.includes(normalized.value)) out.push(normalized.value);
  }
  return out;
}

export function emailMembers(events: readonly DeliveryEvent[], status: 'subscribed' | 'pending') {
  return contactOperations(events, memberEmails).map((op) =>
    op.action === 'remove' ? { email: op.contact, action: 'remove' as const } : { email: op.contact, action: 'upsert' as const, status, mergeFields: op.fields, tags: op.tags },
  );
}

export const emailService: DestinationDefinition<EmailServiceSettings> = {
  type: 'email-service',
  name: 'Email service list',
  description: 'Audience members upserted to (and removed from) an email service provider\'s list, attributes as merge fields',
  settings: EmailServiceSettings,
  secrets: ['apiKey'],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    const urlIssue = httpUrlIssue(settings.baseUrl);
    if (urlIssue) issues.push({ path: 'baseUrl', message: urlIssue });
    return issues;
  },
  defaultMappings: [
    { source: 'person.name.firstName', destination: 'FNAME' },
    { source: 'person.name.lastName', destination: 'LNAME' },
  ],
  identities: { namespaces: ['Email'], minimum: 1, hashing: 'never' },
  schedules: ['streaming', 'batch'],
  consentPurposes: () => ['email'],
  maxBatchSize: (settings) => settings.batchSize ?? 500,
  rateLimitPerSecond: (settings) => settings.rateLimitPerSecond,
  async perform(event, context) {
    await this.performBatch!([event], context);
  },
  async performBatch(events, context) {
    const { settings } = context;
    const members = emailMembers(events, settings.subscribeStatus ?? 'subscribed');
    if (members.length === 0) return; // nobody in the batch has a usable email
    const header = (settings.apiKeyHeader ?? 'x-api-key').toLowerCase();
    const key = createHash('sha256').update(events.map((e) => e.id).join(',')).digest('hex').slice(0, 32);
    await postJson(
      `${settings.baseUrl.replace(/\/+$/, '')}/lists/${encodeURIComponent(settings.listId)}/members`,
      { [header]: header === 'authorization' ? `Bearer ${settings.apiKey}` : settings.apiKey, 'idempotency-key': key },
      JSON.stringify({ members }),
      context.signal,
    );
  },
};
