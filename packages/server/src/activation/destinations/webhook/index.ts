/**
 * Webhook destination: each event (or a batch, as a JSON array) POSTed to a URL as a templated
 * JSON payload, with custom headers, bearer or basic auth, an `idempotency-key` header and, when a
 * signing secret is set, an HMAC-SHA256 signature over `<timestamp>.<body>`:
 * `x-meridian-signature: t=<unix seconds>,v1=<hex>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { JsonValue } from '../../../storage/json.ts';
import { authorization, httpUrlIssue, sendHttp } from '../http.ts';
import type { DeliveryContext, DeliveryEvent, DestinationDefinition, SettingsIssue } from '../types.ts';
import { renderTemplate, unknownPlaceholders } from './template.ts';
import { ConsentPurposesSetting, DEFAULT_CONSENT_PURPOSES } from '../../consent-filter.ts';

export const WebhookSettings = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')], { default: 'POST' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,100}$' }), Type.String({ maxLength: 4000 }))),
    auth: Type.Optional(
      Type.Union([
        Type.Object({ type: Type.Literal('bearer'), token: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        Type.Object({ type: Type.Literal('basic'), username: Type.String({ minLength: 1 }), password: Type.String() }, { additionalProperties: false }),
      ]),
    ),
    signingSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 200, description: 'HMAC-SHA256 key for x-meridian-signature' })),
    template: Type.Optional(Type.Unknown({ description: 'JSON payload with {{placeholders}}; default: the suite\'s export body' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: '>1 sends a JSON array of payloads' })),
    rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
    consentPurposes: ConsentPurposesSetting,
  },
  { additionalProperties: false },
);
export type WebhookSettings = Static<typeof WebhookSettings>;

/** The suite's HTTP export body: mapped attributes, segmentMembership, identityMap. */
function defaultPayload(event: DeliveryEvent): JsonValue {
  return {
    ...event.attributes,
    segmentMembership: event.segmentMembership,
    identityMap: Object.fromEntries(Object.entries(event.identities).map(([field, values]) => [field, values.map((id) => ({ id }))])),
  };
}

function payloadOf(event: DeliveryEvent, settings: WebhookSettings): JsonValue {
  return settings.template === undefined ? defaultPayload(event) : renderTemplate(settings.template as JsonValue, event);
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function send(body: string, idempotencyKey: string, context: DeliveryContext<WebhookSettings>): Promise<void> {
  const { settings } = context;
  const headers: Record<string, string> = {
    ...(settings.headers ?? {}),
    'content-type': 'application/json',
    'user-agent': 'Meridian-Activation/1',
    'idempotency-key': idempotencyKey,
    ...authorization(settings.auth),
  };
  if (settings.signingSecret) {
    const timestamp = Math.floor(Date.now() / 1000);
    headers['x-meridian-timestamp'] = String(timestamp);
    headers['x-meridian-signature'] = webhookSignature(settings.signingSecret, timestamp, body);
  }
  await sendHttp({ url: settings.url, method: settings.method ?? 'POST', headers, body, signal: context.signal });
}

export const webhook: DestinationDefinition<WebhookSettings> = {
  type: 'webhook',
  name: 'HTTP webhook',
  description: 'JSON payloads (templated) to an HTTP endpoint, signed, with retries',
  settings: WebhookSettings,
  secrets: ['auth.token', 'auth.password', 'signingSecret'],
  validate(settings) {
    const issues: SettingsIssue[] = [];
    const urlIssue = httpUrlIssue(settings.url);
    if (urlIssue) issues.push({ path: 'url', message: urlIssue });
    if (settings.template !== undefined) {
      for (const p of unknownPlaceholders(settings.template as JsonValue)) issues.push({ path: 'template', message: `unknown placeholder {{${p}}}` });
    }
    return issues;
  },
  defaultMappings: [],
  identities: { namespaces: [], minimum: 0, hashing: 'optional' },
  schedules: ['streaming', 'batch'],
  maxBatchSize: (settings) => settings.batchSize ?? 1,
  consentPurposes: (settings) => settings.consentPurposes ?? DEFAULT_CONSENT_PURPOSES,
  rateLimitPerSecond: (settings) => settings.rateLimitPerSecond,
  async perform(event, context) {
    await send(JSON.stringify(payloadOf(event, context.settings)), event.id, context);
  },
  async performBatch(events, context) {
    const key = createHash('sha256').update(events.map((e) => e.id).join(',')).digest('hex').slice(0, 32);
    await send(JSON.stringify(events.map((e) => payloadOf(e, context.settings))), `batch-${key}`, context);
  },
};
