/**
 * Webhook payload templates: any JSON value whose strings may hold `{{placeholders}}`. A string
 * that is exactly one placeholder becomes the value itself (object, number, array); placeholders
 * inside longer strings are interpolated as text. Unknown paths become null (or empty text).
 *
 * Placeholders: `event.id`, `profileId`, `timestamp`, `audience.id|name|status|lastQualificationTime`,
 * `attributes.<field>`, `identities.<field>` (array), `identity.<field>` (first value),
 * `segmentMembership`, `identityMap`, `attributes`, `identities`.
 *
 * @example
 *   renderTemplate({ email: '{{identity.email}}', tier: '{{attributes.tier}}' }, event);
 */
import type { JsonObject, JsonValue } from '../../../storage/json.ts';
import { readPath, type DeliveryEvent } from '../types.ts';

const WHOLE = /^\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}$/;
const INLINE = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;

/** The JSON view of an event that placeholders read. */
export function templateScope(event: DeliveryEvent): JsonObject {
  const identity: JsonObject = {};
  for (const [field, values] of Object.entries(event.identities)) identity[field] = values[0] ?? null;
  return {
    event: { id: event.id },
    profileId: event.profileId,
    timestamp: event.timestamp,
    audience: { ...event.audience },
    attributes: event.attributes,
    identities: event.identities,
    identity,
    segmentMembership: event.segmentMembership,
    identityMap: Object.fromEntries(Object.entries(event.identities).map(([field, values]) => [field, values.map((id) => ({ id }))])),
  };
}

/** Every placeholder path the template uses (for validation). */
export function placeholders(template: JsonValue): string[] {
  if (typeof template === 'string') return [...template.matchAll(INLINE)].map((m) => m[1]);
  if (Array.isArray(template)) return template.flatMap(placeholders);
  if (template && typeof template === 'object') return Object.entries(template).flatMap(([k, v]) => [...placeholders(k), ...placeholders(v)]);
  return [];
}

const ROOTS = new Set(['event', 'profileId', 'timestamp', 'audience', 'attributes', 'identities', 'identity', 'segmentMembership', 'identityMap']);

/** Placeholders that can never resolve (unknown root). */
export function unknownPlaceholders(template: JsonValue): string[] {
  return placeholders(template).filter((p) => !ROOTS.has(p.split('.')[0]));
}

export function renderTemplate(template: JsonValue, event: DeliveryEvent, scope: JsonObject = templateScope(event)): JsonValue {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return readPath(scope, whole[1]) ?? null;
    return template.replace(INLINE, (_, path: string) => {
      const value = readPath(scope, path);
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, event, scope));
  if (template && typeof template === 'object') {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(template)) out[renderTemplate(key, event, scope) as string] = renderTemplate(value, event, scope);
    return out;
  }
  return template;
}
