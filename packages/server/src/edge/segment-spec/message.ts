/**
 * Segment tracking-spec messages as clients send them, checked one by one: a malformed message
 * is described precisely (field by field) and never takes its batch down with it.
 *
 * @example
 *   readMessage({ type: 'track', event: 'Signed Up', userId: 'u1' }, { receivedAt: Date.now() })
 *   // { ok: true, message: { type: 'track', event: 'Signed Up', userId: 'u1', timestamp: '…', … } }
 *   readMessage({ type: 'track', userId: 'u1' }, { receivedAt: Date.now() })
 *   // { ok: false, errors: [{ path: 'event', message: 'is required for a track call' }] }
 */
import type { FieldError } from '../../errors.ts';
import { isJsonObject, type JsonObject } from '../../storage/json.ts';
import { timeOrderedUuid } from '../../storage/ids.ts';

export const MESSAGE_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Segment's own limit on one message (the clients refuse larger ones too). */
export const MAX_MESSAGE_BYTES = 32 * 1024;
const MAX_ID_LENGTH = 1024;

export interface SegmentMessage {
  type: MessageType;
  messageId: string;
  /** When it happened (ISO), clock skew of the sender corrected as Segment does. */
  timestamp: string;
  receivedAt: string;
  sentAt?: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  name?: string;
  category?: string;
  groupId?: string;
  previousId?: string;
  channel?: string;
  properties: JsonObject;
  traits: JsonObject;
  context: JsonObject;
}

export type ReadResult = { ok: true; message: SegmentMessage } | { ok: false; errors: FieldError[] };

export interface ReadOptions {
  receivedAt: number;
  /** The batch envelope's `sentAt`, used when a message has none. */
  batchSentAt?: unknown;
  /** The type implied by a single-call endpoint (`/v1/track`); wins over the body's. */
  type?: MessageType;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function validTime(ms: number): boolean {
  return ms >= Date.UTC(1970, 0, 1) && ms < Date.UTC(10000, 0, 1);
}

/** A string or number id (Segment accepts both), trimmed; undefined when absent or empty. */
function idOf(message: JsonObject, field: string, errors: FieldError[]): string | undefined {
  const value = message[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    errors.push({ path: field, message: 'must be a string' });
    return undefined;
  }
  const text = String(value).trim();
  if (text.length > MAX_ID_LENGTH) {
    errors.push({ path: field, message: `must be at most ${MAX_ID_LENGTH} characters` });
    return undefined;
  }
  return text === '' ? undefined : text;
}

function textOf(message: JsonObject, field: string, errors: FieldError[], maxLength = 1024): string | undefined {
  const value = message[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push({ path: field, message: 'must be a string' });
    return undefined;
  }
  if (value.length > maxLength) {
    errors.push({ path: field, message: `must be at most ${maxLength} characters` });
    return undefined;
  }
  return value === '' ? undefined : value;
}

function objectOf(message: JsonObject, field: string, errors: FieldError[]): JsonObject {
  const value = message[field];
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) {
    errors.push({ path: field, message: 'must be an object' });
    return {};
  }
  return value;
}

function timeOf(message: JsonObject, field: string, errors: FieldError[]): number | undefined {
  const value = message[field];
  if (value === undefined || value === null) return undefined;
  const ms = parseTime(value);
  if (ms === undefined || !validTime(ms)) {
    errors.push({ path: field, message: 'must be an ISO-8601 date-time' });
    return undefined;
  }
  return ms;
}

export function readMessage(raw: unknown, options: ReadOptions): ReadResult {
  if (!isJsonObject(raw)) return { ok: false, errors: [{ path: '', message: 'a message must be a JSON object' }] };
  const size = Buffer.byteLength(JSON.stringify(raw));
  if (size > MAX_MESSAGE_BYTES) return { ok: false, errors: [{ path: '', message: `a message must be at most 32 KB; this one is ${Math.ceil(size / 1024)} KB` }] };
  const errors: FieldError[] = [];
  const type = options.type ?? raw.type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { ok: false, errors: [{ path: 'type', message: `must be one of ${MESSAGE_TYPES.join(', ')}` }] };
  }
  const messageType = type as MessageType;
  const userId = idOf(raw, 'userId', errors);
  const anonymousId = idOf(raw, 'anonymousId', errors);
  const messageId = textOf(raw, 'messageId', errors, 256);
  const properties = objectOf(raw, 'properties', errors);
  const context = objectOf(raw, 'context', errors);
  // RudderStack copies identify traits into context.traits; Segment puts them at the top.
  const traits = raw.traits !== undefined ? objectOf(raw, 'traits', errors) : isJsonObject(context.traits) ? context.traits : {};
  const event = textOf(raw, 'event', errors, 256);
  const name = textOf(raw, 'name', errors);
  const category = textOf(raw, 'category', errors);
  const channel = textOf(raw, 'channel', errors, 100);
  const groupId = idOf(raw, 'groupId', errors);
  const previousId = idOf(raw, 'previousId', errors);
  const timestamp = timeOf(raw, 'timestamp', errors);
  const originalTimestamp = timeOf(raw, 'originalTimestamp', errors);
  const sentAt = timeOf(raw, 'sentAt', errors) ?? (raw.sentAt === undefined ? parseTime(options.batchSentAt) : undefined);

  if (!userId && !anonymousId && errors.every((e) => e.path !== 'userId' && e.path !== 'anonymousId')) {
    errors.push({ path: 'userId', message: 'a message needs a userId or an anonymousId' });
  }
  if (messageType === 'track' && !event && errors.every((e) => e.path !== 'event')) errors.push({ path: 'event', message: 'is required for a track call' });
  if (messageType === 'group' && !groupId && errors.every((e) => e.path !== 'groupId')) errors.push({ path: 'groupId', message: 'is required for a group call' });
  if (messageType === 'alias' && !previousId && errors.every((e) => e.path !== 'previousId')) errors.push({ path: 'previousId', message: 'is required for an alias call' });
  if (errors.length > 0) return { ok: false, errors };

  // Segment's rule: an explicit timestamp wins; otherwise the sender's originalTimestamp is moved by
  // the skew between its clock (sentAt) and ours (receivedAt).
  let at = timestamp;
  if (at === undefined && originalTimestamp !== undefined) {
    at = sentAt !== undefined && validTime(sentAt) ? originalTimestamp + (options.receivedAt - sentAt) : originalTimestamp;
  }
  if (at === undefined || !validTime(at)) at = options.receivedAt;

  return {
    ok: true,
    message: {
      type: messageType,
      messageId: messageId ?? timeOrderedUuid(options.receivedAt),
      timestamp: new Date(at).toISOString(),
      receivedAt: new Date(options.receivedAt).toISOString(),
      ...(sentAt !== undefined && validTime(sentAt) ? { sentAt: new Date(sentAt).toISOString() } : {}),
      ...(userId ? { userId } : {}),
      ...(anonymousId ? { anonymousId } : {}),
      ...(event ? { event } : {}),
      ...(name ? { name } : {}),
      ...(category ? { category } : {}),
      ...(groupId ? { groupId } : {}),
      ...(previousId ? { previousId } : {}),
      ...(channel ? { channel } : {}),
      properties,
      traits,
      context,
    },
  };
}
