/**
 * The standard mappings of Adobe Campaign log exports (§10) to XDM experience events: delivery
 * logs (`broadLog`), tracking logs (opens, clicks, opt-outs) and non-deliverable addresses
 * (`nms:address`, quarantine). Column names are the Campaign SQL names (`iBroadLogId`, `tsEvent`,
 * `iStatus`, `sEmail`, ...), matched without regard to case. One log row → one event, plus the
 * profile change it implies (deliverability, email consent). Pure.
 *
 * A value that cannot be read is kept as found, in a field whose schema refuses it, so the batch
 * machinery rejects the row alone with the field and the reason (e.g. `timestamp` must be a date-time).
 *
 * @example
 *   const columns = resolveColumns('tracking', ['iTrackingLogId', 'sEmail', 'tsLog', 'sUrl', 'iUrlType']);
 *   logRowToEvent('tracking', columns, ['9', 'ann@example.com', '2026-11-20 10:00:00', 'https://x.test/a', '1']);
 *   // { record: { _id: 'campaign:tracking:9', eventType: 'directMarketing.emailClicked', ... }, profile: undefined }
 */
import type { JsonObject } from '../storage/json.ts';

export const LOG_KINDS = ['broadlog', 'tracking', 'quarantine'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** A field of a Campaign log and the column names it is read from (first found wins). */
interface ColumnSpec {
  field: string;
  names: readonly string[];
}

const COMMON: ColumnSpec[] = [
  { field: 'recipientId', names: ['iRecipientId'] },
  { field: 'deliveryId', names: ['iDeliveryId'] },
  { field: 'broadLogId', names: ['iBroadLogId'] },
  { field: 'deliveryLabel', names: ['sDeliveryLabel', 'sDeliveryName'] },
  { field: 'campaignLabel', names: ['sCampaignLabel', 'sCampaignName'] },
];

/** Columns each kind reads; `required` columns must be in the header. */
export const LOG_COLUMNS: Record<LogKind, { columns: ColumnSpec[]; required: readonly string[] }> = {
  broadlog: {
    columns: [
      ...COMMON,
      { field: 'email', names: ['sEmail', 'sAddress'] },
      { field: 'eventDate', names: ['tsEvent'] },
      { field: 'status', names: ['iStatus', 'sStatus'] },
      { field: 'failureType', names: ['iFailureType', 'sFailureType', 'iType'] },
      { field: 'failureReason', names: ['iFailureReason', 'sFailureReason', 'iReason'] },
    ],
    required: ['eventDate', 'status'],
  },
  tracking: {
    columns: [
      ...COMMON,
      { field: 'trackingLogId', names: ['iTrackingLogId'] },
      { field: 'email', names: ['sEmail', 'sAddress'] },
      { field: 'eventDate', names: ['tsLog', 'tsEvent'] },
      { field: 'url', names: ['sUrl'] },
      { field: 'urlType', names: ['iUrlType', 'sUrlCategory', 'iType'] },
    ],
    required: ['eventDate'],
  },
  quarantine: {
    columns: [
      ...COMMON,
      { field: 'email', names: ['sAddress', 'sEmail'] },
      { field: 'eventDate', names: ['tsLastModified', 'tsLastError', 'tsEvent'] },
      { field: 'status', names: ['iStatus', 'sStatus'] },
      { field: 'failureType', names: ['iErrorType', 'iFailureType', 'sFailureType'] },
      { field: 'failureReason', names: ['iErrorReason', 'iFailureReason', 'sFailureReason', 'sErrorText'] },
      { field: 'errorCount', names: ['iErrorCount'] },
      { field: 'channel', names: ['iType', 'sChannel'] },
    ],
    required: ['email', 'eventDate', 'status'],
  },
};

/** Field → column index in the file's header. */
export type ResolvedColumns = Map<string, number>;

/**
 * Finds each field's column in a header; a missing required column is reported by field and the names tried.
 *
 * @example
 *   resolveColumns('broadlog', ['iBroadLogId', 'tsEvent']).missing; // [{ field: 'status', names: ['iStatus', 'sStatus'] }]
 */
export function resolveColumns(kind: LogKind, header: readonly string[]): { columns: ResolvedColumns; missing: { field: string; names: readonly string[] }[] } {
  const index = new Map(header.map((h, i) => [h.trim().toLowerCase(), i] as const));
  const columns: ResolvedColumns = new Map();
  for (const spec of LOG_COLUMNS[kind].columns) {
    if (columns.has(spec.field)) continue;
    for (const name of spec.names) {
      const at = index.get(name.toLowerCase());
      if (at !== undefined) {
        columns.set(spec.field, at);
        break;
      }
    }
  }
  const missing = LOG_COLUMNS[kind].required
    .filter((field) => !columns.has(field))
    .map((field) => ({ field, names: LOG_COLUMNS[kind].columns.filter((s) => s.field === field).flatMap((s) => s.names) }));
  return { columns, missing };
}

/** broadLog `iStatus` codes (and names) → delivery status. */
export const DELIVERY_STATUS: Record<string, 'sent' | 'delivered' | 'failed'> = {
  '1': 'sent',
  '2': 'failed',
  '6': 'delivered', // taken into account by the service provider
  '7': 'delivered', // received on mobile
  sent: 'sent',
  delivered: 'delivered',
  failed: 'failed',
};

/** Failure type codes (and names). */
export const FAILURE_TYPE: Record<string, 'soft' | 'hard' | 'ignored'> = { '1': 'soft', '2': 'hard', '3': 'ignored', soft: 'soft', hard: 'hard', ignored: 'ignored' };

/** Failure reason codes → the reason names the suite's delivery-log extension uses. Text passes through. */
export const FAILURE_REASON: Record<string, string> = {
  '1': 'unknown_user',
  '2': 'invalid_domain',
  '3': 'mailbox_full',
  '4': 'account_disabled',
  '5': 'unreachable',
  '6': 'refused',
  '7': 'not_connected',
  '8': 'unsubscribed',
};

/** Tracking URL types (`NmsTrackingUrl` type) → category. */
export const URL_CATEGORY: Record<string, 'click' | 'open' | 'optOut' | 'mirrorPage'> = {
  '1': 'click',
  '2': 'open',
  '3': 'optOut',
  '6': 'mirrorPage',
  click: 'click',
  open: 'open',
  optout: 'optOut',
  'opt-out': 'optOut',
  unsubscribe: 'optOut',
  mirror: 'mirrorPage',
  mirrorpage: 'mirrorPage',
};

/** `nms:address` status codes (and names) → address status. */
export const ADDRESS_STATUS: Record<string, 'quarantined' | 'valid' | 'denylisted'> = {
  '0': 'quarantined',
  '2': 'valid',
  '3': 'denylisted',
  quarantine: 'quarantined',
  quarantined: 'quarantined',
  valid: 'valid',
  denylisted: 'denylisted',
  denylist: 'denylisted',
  ondenylist: 'denylisted',
  blacklisted: 'denylisted',
};

/** `nms:address` channel codes: only email addresses concern this import. */
const CHANNEL: Record<string, string> = { '0': 'email', email: 'email', '1': 'sms', sms: 'sms', mobile: 'sms' };

/**
 * Campaign date-times (`2026-11-20 10:15:00`, `2026-11-20 10:15:00.123+01`, ISO 8601) → RFC 3339
 * UTC. A value without a zone is UTC. Anything else comes back unchanged (and the schema refuses it).
 */
export function campaignDateTime(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) return text;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  if (Number.isNaN(ms)) return text;
  const date = new Date(ms);
  // Date.parse rolls 2026-02-30 over to March; a calendar date that does not exist stays as found.
  if (offset === 'Z' && date.getUTCDate() !== Number(d)) return text;
  return date.toISOString();
}

/** The profile change a log row implies (see docs/campaign.md, "Deliverability and consent"). */
export interface ProfileChange {
  email?: string;
  recipientId?: string;
  /** `personalEmail.status`. */
  emailStatus?: 'active' | 'blocked' | 'blacklisted';
  /** `consents.marketing.email.val = "n"`. */
  emailOptOut?: boolean;
  deliverability?: { status: 'valid' | 'quarantined' | 'denylisted'; failureType?: string; reason?: string; errorCount?: number };
  at: string;
}

export interface MappedRow {
  record: JsonObject;
  profile?: ProfileChange;
}

function lookup<T>(table: Record<string, T>, raw: string): T | undefined {
  return table[raw.trim().toLowerCase()];
}

/** A cell's text, trimmed; undefined when blank or absent. */
function cell(cells: readonly string[], columns: ResolvedColumns, field: string): string | undefined {
  const at = columns.get(field);
  if (at === undefined) return undefined;
  const value = cells[at]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function setIn(target: JsonObject, path: string, value: string | number | boolean): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as JsonObject;
  node[parts[parts.length - 1]] = value;
}

/**
 * One log row (cells in header order) → the experience event and the profile change it implies.
 *
 * @example
 *   logRowToEvent('broadlog', columns, ['1', '42', 'C7', 'ann@example.com', '2026-11-20 10:00:00', '2', '2', '1']).profile?.emailStatus; // 'blocked'
 */
export function logRowToEvent(kind: LogKind, columns: ResolvedColumns, cells: readonly string[]): MappedRow {
  const get = (field: string) => cell(cells, columns, field);
  const record: JsonObject = {};
  const campaign: JsonObject = { logType: kind };
  const direct: JsonObject = { channel: 'email' };
  const rawDate = get('eventDate');
  if (rawDate !== undefined) record.timestamp = campaignDateTime(rawDate);
  const email = get('email');
  const recipientId = get('recipientId');
  const identityMap: JsonObject = {};
  if (email) identityMap.Email = [{ id: email }];
  if (recipientId) identityMap.CRMID = [{ id: recipientId }];
  if (Object.keys(identityMap).length > 0) record.identityMap = identityMap;
  for (const [field, target] of [['broadLogId', 'broadLogID'], ['deliveryId', 'deliveryID'], ['recipientId', 'recipientID'], ['deliveryLabel', 'deliveryLabel'], ['campaignLabel', 'campaignLabel'], ['email', 'address']] as const) {
    const value = get(field);
    if (value !== undefined) campaign[target] = value;
  }
  const deliveryId = get('deliveryId');
  if (deliveryId) direct.deliveryID = deliveryId;
  const campaignLabel = get('campaignLabel');
  if (campaignLabel) record.marketing = { campaignName: campaignLabel, channel: 'email' };
  const at = typeof record.timestamp === 'string' ? record.timestamp : new Date(0).toISOString();
  const who = { ...(email ? { email } : {}), ...(recipientId ? { recipientId } : {}) };
  let profile: ProfileChange | undefined;

  if (kind === 'broadlog') {
    const rawStatus = get('status') ?? '';
    const status = lookup(DELIVERY_STATUS, rawStatus);
    const failureType = readFailureType(get('failureType'));
    const reason = readReason(get('failureReason'));
    campaign.status = status ?? `iStatus ${rawStatus}`;
    if (status) direct.status = status;
    if (failureType) direct.failureType = campaign.failureType = failureType;
    if (reason) direct.failureReason = reason;
    const broadLogId = get('broadLogId');
    if (broadLogId && status) record._id = `campaign:broadlog:${broadLogId}:${status}`;
    if (status === 'sent') {
      record.eventType = 'directMarketing.emailSent';
      direct.sends = { value: 1 };
    } else if (status === 'delivered') {
      // Its send was counted by the `sent` row of the same message.
      record.eventType = 'directMarketing.emailDelivered';
    } else if (status === 'failed') {
      record.eventType = failureType === 'hard' || failureType === undefined ? 'directMarketing.emailBounced' : 'directMarketing.emailBouncedSoft';
      direct.bounces = { value: 1 };
      if (failureType === 'hard') {
        campaign.quarantine = true;
        profile = { ...who, emailStatus: 'blocked', emailOptOut: true, deliverability: { status: 'quarantined', failureType, ...(reason ? { reason } : {}) }, at };
      }
    }
    if (reason === 'unsubscribed') profile = { ...who, ...profile, emailOptOut: true, at };
  } else if (kind === 'tracking') {
    const rawType = get('urlType');
    const url = get('url');
    const category = rawType === undefined ? (url ? 'click' : 'open') : lookup(URL_CATEGORY, rawType);
    campaign.urlCategory = category ?? `iUrlType ${rawType}`;
    const trackingLogId = get('trackingLogId');
    if (trackingLogId) {
      record._id = `campaign:tracking:${trackingLogId}`;
      campaign.trackingLogID = trackingLogId;
    }
    if (url) {
      campaign.url = url;
      direct.trackingURL = url;
    }
    if (category === 'open') {
      record.eventType = 'directMarketing.emailOpened';
      direct.opens = { value: 1 };
    } else if (category === 'click' || category === 'mirrorPage') {
      record.eventType = 'directMarketing.emailClicked';
      direct.clicks = { value: 1 };
    } else if (category === 'optOut') {
      record.eventType = 'directMarketing.emailUnsubscribed';
      direct.unsubscriptions = { value: 1 };
      profile = { ...who, emailOptOut: true, at };
    }
  } else {
    const rawStatus = get('status') ?? '';
    const status = lookup(ADDRESS_STATUS, rawStatus);
    const failureType = readFailureType(get('failureType'));
    const reason = readReason(get('failureReason'));
    const rawChannel = get('channel');
    const channel = rawChannel === undefined ? 'email' : (lookup(CHANNEL, rawChannel) ?? `iType ${rawChannel}`);
    campaign.addressStatus = status ?? `iStatus ${rawStatus}`;
    campaign.channel = channel;
    if (failureType) direct.failureType = campaign.failureType = failureType;
    if (reason) direct.failureReason = reason;
    const rawCount = get('errorCount');
    const errorCount = rawCount !== undefined && /^\d+$/.test(rawCount) ? Number(rawCount) : undefined;
    if (errorCount !== undefined) campaign.errorCount = errorCount;
    else if (rawCount !== undefined) campaign.errorCount = rawCount; // not a count: the schema refuses it
    if (email && typeof record.timestamp === 'string' && status) record._id = `campaign:quarantine:${email.toLowerCase()}:${status}:${record.timestamp}`;
    const detail = { ...(failureType ? { failureType } : {}), ...(reason ? { reason } : {}), ...(errorCount !== undefined ? { errorCount } : {}) };
    if (status === 'quarantined') {
      campaign.quarantine = true;
      record.eventType = failureType === 'soft' ? 'directMarketing.emailBouncedSoft' : 'directMarketing.emailBounced';
      direct.bounces = { value: 1 };
      profile = { ...who, emailStatus: 'blocked', emailOptOut: true, deliverability: { status, ...detail }, at };
    } else if (status === 'denylisted') {
      record.eventType = 'directMarketing.emailUnsubscribed';
      direct.unsubscriptions = { value: 1 };
      profile = { ...who, emailStatus: 'blacklisted', emailOptOut: true, deliverability: { status, ...detail }, at };
    } else if (status === 'valid') {
      record.eventType = 'directMarketing.emailAddressValid';
      profile = { ...who, emailStatus: 'active', deliverability: { status, ...detail }, at };
    }
    if (reason === 'unsubscribed' && profile) profile.emailOptOut = true;
    if (channel !== 'email') profile = undefined;
  }
  record.directMarketing = direct;
  record.campaign = campaign;
  return profile ? { record, profile } : { record };
}

function readFailureType(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  return lookup(FAILURE_TYPE, raw) ?? raw;
}

function readReason(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const known = FAILURE_REASON[raw.trim()];
  if (known) return known;
  const text = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return text === 'user_unknown' ? 'unknown_user' : text;
}

/**
 * The profile record a change writes into the campaign profile dataset (standard XDM paths).
 *
 * @example
 *   profileRecord({ email: 'a@x.test', emailStatus: 'blocked', emailOptOut: true, at: '2026-11-20T10:00:00.000Z' }, 'id1');
 *   // { _id: 'id1', timestamp: ..., personalEmail: { address: 'a@x.test', status: 'blocked' }, consents: { marketing: { email: { val: 'n', time: ... } } } }
 */
export function profileRecord(change: ProfileChange, id: string): JsonObject | undefined {
  if (!change.email && !change.recipientId) return undefined;
  const record: JsonObject = { _id: id, timestamp: change.at };
  if (change.recipientId) setIn(record, 'crm.crmId', change.recipientId);
  if (change.email) setIn(record, 'personalEmail.address', change.email);
  if (change.email && change.emailStatus) setIn(record, 'personalEmail.status', change.emailStatus);
  if (change.emailOptOut) {
    setIn(record, 'consents.marketing.email.val', 'n');
    setIn(record, 'consents.marketing.email.time', change.at);
  }
  if (change.deliverability) {
    const d = change.deliverability;
    setIn(record, 'campaignDeliverability.status', d.status);
    if (d.failureType) setIn(record, 'campaignDeliverability.failureType', d.failureType);
    if (d.reason) setIn(record, 'campaignDeliverability.reason', d.reason);
    if (d.errorCount !== undefined) setIn(record, 'campaignDeliverability.errorCount', d.errorCount);
    setIn(record, 'campaignDeliverability.updatedAt', change.at);
  }
  return record;
}
