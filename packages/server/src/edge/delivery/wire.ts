/**
 * The Target Delivery API wire format (`POST /rest/v1/delivery`), pure: a DeliveryRequest read
 * into pipeline events (pageLoad → the `__view__` scope, each mbox → its name, each prefetched
 * view → its name), visitor ids and notifications; Meridian's propositions written back as
 * Target options (`html`, `json`, `redirect`, `actions`) with response tokens. See docs/edge.md.
 *
 * @example
 *   const read = readDelivery(body);
 *   read.requests.map((r) => r.scope); // ['__view__', 'hero']
 */
import { randomUUID } from 'node:crypto';
import { PAGE_SCOPE } from '../../decisioning/model.ts';
import type { DecisionContext, Proposition } from '../../decisioning/request.ts';
import { ITEM_SCHEMAS } from '../../decisioning/request.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../storage/json.ts';
import { isEcid } from '../interact/identity-cookie.ts';
import { parseUserAgent } from '../interact/wire.ts';
import type { EdgeIdentity, TokenNotification } from '../pipeline.ts';

export type Section = 'execute' | 'prefetch';
export type Kind = 'pageLoad' | 'mbox' | 'view';

/** One thing the request asks a decision for. */
export interface DeliveryAsk {
  section: Section;
  kind: Kind;
  /** Mbox name or view name; absent for the page load. */
  name?: string;
  index?: number;
  scope: string;
  context: DecisionContext;
}

export interface ReadDelivery {
  requestId: string;
  /** The tntId without a location suffix (minted when absent). */
  tntId: string;
  /** The visitor id assignment hashes: marketingCloudVisitorId, else tntId, else thirdPartyId. */
  deviceId: string;
  identities: EdgeIdentity[];
  asks: DeliveryAsk[];
  notifications: TokenNotification[];
  notificationIds: string[];
  /** What is malformed, by field (the caller answers 400). */
  fieldErrors: { path: string; message: string }[];
}

function str(v: JsonValue | undefined, max = 5000): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

function params(details: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  if (isJsonObject(details.parameters)) {
    for (const [k, v] of Object.entries(details.parameters)) if (v !== null && typeof v !== 'object') out[k] = String(v);
  }
  return out;
}

function baseContext(context: JsonObject): DecisionContext {
  const address = isJsonObject(context.address) ? context.address : {};
  const geo = isJsonObject(context.geo) ? context.geo : {};
  const ua = str(context.userAgent, 2000);
  const country = str(geo.countryCode, 100);
  const region = str(geo.stateCode, 100);
  const city = str(geo.city, 200);
  return {
    ...(str(address.url) ? { url: address.url as string } : {}),
    ...(str(address.referringUrl) ? { referrer: address.referringUrl as string } : {}),
    ...parseUserAgent(ua),
    ...(context.channel === 'mobile' && !ua ? { deviceType: 'mobile' } : {}),
    ...(country || region || city ? { geo: { ...(country ? { country } : {}), ...(region ? { region } : {}), ...(city ? { city } : {}) } } : {}),
  };
}

function askContext(base: DecisionContext, details: JsonObject): DecisionContext {
  const address = isJsonObject(details.address) ? details.address : {};
  const p = params(details);
  return {
    ...base,
    ...(str(address.url) ? { url: address.url as string } : {}),
    ...(str(address.referringUrl) ? { referrer: address.referringUrl as string } : {}),
    ...(Object.keys(p).length > 0 ? { params: p } : {}),
  };
}

/** Reads a DeliveryRequest; `fieldErrors` names what is malformed (the caller answers 400). */
export function readDelivery(body: JsonObject): ReadDelivery {
  const fieldErrors: ReadDelivery['fieldErrors'] = [];
  if (!isJsonObject(body.context)) fieldErrors.push({ path: 'context', message: 'is required (an object with at least channel)' });
  const context = isJsonObject(body.context) ? body.context : {};
  const base = baseContext(context);
  const id = isJsonObject(body.id) ? body.id : {};
  const rawTnt = str(id.tntId, 128);
  const tntId = rawTnt ? rawTnt.split('.')[0] : randomUUID();
  const mcid = str(id.marketingCloudVisitorId, 128);
  const thirdParty = str(id.thirdPartyId, 128);
  const identities: EdgeIdentity[] = [];
  if (Array.isArray(id.customerIds)) {
    id.customerIds.forEach((c, i) => {
      if (!isJsonObject(c) || !str(c.id, 128) || !str(c.integrationCode, 128)) {
        fieldErrors.push({ path: `id.customerIds[${i}]`, message: 'needs id and integrationCode' });
        return;
      }
      identities.push({ namespace: c.integrationCode as string, id: c.id as string, ...(c.authenticatedState === 'authenticated' ? { authenticatedState: 'authenticated', primary: true } : {}) });
    });
  }
  if (mcid && isEcid(mcid)) identities.push({ namespace: 'ECID', id: mcid });
  identities.push({ namespace: 'TNTID', id: tntId, ...(rawTnt ? {} : { fresh: true }) });
  const asks: DeliveryAsk[] = [];
  for (const section of ['execute', 'prefetch'] as const) {
    const part = body[section];
    if (part === undefined) continue;
    if (!isJsonObject(part)) {
      fieldErrors.push({ path: section, message: 'must be an object' });
      continue;
    }
    if (isJsonObject(part.pageLoad)) asks.push({ section, kind: 'pageLoad', scope: PAGE_SCOPE, context: askContext(base, part.pageLoad) });
    if (part.mboxes !== undefined) {
      if (!Array.isArray(part.mboxes)) fieldErrors.push({ path: `${section}.mboxes`, message: 'must be an array' });
      else {
        const seen = new Set<number>();
        part.mboxes.forEach((m, i) => {
          const name = isJsonObject(m) ? str(m.name, 250) : undefined;
          const index = isJsonObject(m) && typeof m.index === 'number' && Number.isInteger(m.index) ? m.index : undefined;
          if (!isJsonObject(m) || !name) return fieldErrors.push({ path: `${section}.mboxes[${i}].name`, message: 'is required' });
          if (index === undefined || seen.has(index)) return fieldErrors.push({ path: `${section}.mboxes[${i}].index`, message: 'must be an integer, unique in the list' });
          seen.add(index);
          // The SDK's global mbox is the page load.
          asks.push({ section, kind: 'mbox', name, index, scope: name === 'target-global-mbox' ? PAGE_SCOPE : name, context: askContext(base, m) });
        });
      }
    }
    if (section === 'prefetch' && Array.isArray(part.views)) {
      part.views.forEach((v) => {
        if (!isJsonObject(v)) return;
        const name = str(v.name, 250);
        asks.push({ section, kind: 'view', ...(name ? { name } : {}), scope: name ?? PAGE_SCOPE, context: askContext(base, v) });
      });
    }
  }
  const notifications: TokenNotification[] = [];
  const notificationIds: string[] = [];
  if (Array.isArray(body.notifications)) {
    body.notifications.forEach((n, i) => {
      if (!isJsonObject(n) || !str(n.id, 200)) return fieldErrors.push({ path: `notifications[${i}].id`, message: 'is required' });
      const type = n.type === 'click' ? 'click' : n.type === 'display' ? 'display' : undefined;
      if (!type) return fieldErrors.push({ path: `notifications[${i}].type`, message: 'must be display or click' });
      notificationIds.push(n.id as string);
      const tokens = Array.isArray(n.tokens) ? n.tokens.filter((t): t is string => typeof t === 'string') : [];
      notifications.push({ type, tokens });
    });
  }
  return {
    requestId: str(body.requestId, 128) ?? randomUUID(),
    tntId,
    deviceId: mcid ?? tntId ?? thirdParty,
    identities,
    asks,
    notifications,
    notificationIds,
    fieldErrors,
  };
}

/** Target options for a proposition: content items as html/json/redirect, dom actions as one `actions` option. */
export function targetOptions(p: Proposition, withEventToken: boolean, geo: DecisionContext['geo']): JsonObject[] {
  const eventToken = p.scopeDetails.characteristics.eventToken;
  const options: JsonObject[] = [];
  const actions: JsonObject[] = [];
  let tokens: JsonObject = {};
  for (const item of p.items) {
    tokens = {
      ...item.meta,
      'option.id': item.id,
      ...(geo?.city ? { 'geo.city': geo.city } : {}),
      ...(geo?.country ? { 'geo.country': geo.country } : {}),
      ...(geo?.region ? { 'geo.state': geo.region } : {}),
    };
    const extra = { responseTokens: tokens, ...(withEventToken ? { eventToken } : {}) };
    const content = item.data.content;
    switch (item.schema) {
      case ITEM_SCHEMAS.html:
        options.push({ type: 'html', content: content ?? '', ...extra });
        break;
      case ITEM_SCHEMAS.json:
        options.push({ type: 'json', content: content ?? {}, ...extra });
        break;
      case ITEM_SCHEMAS.redirect:
        options.push({ type: 'redirect', content: content ?? '', ...extra });
        break;
      case ITEM_SCHEMAS.domAction:
        actions.push({
          type: item.data.type ?? 'setHtml',
          selector: item.data.selector ?? '',
          cssSelector: item.data.selector ?? '',
          ...(content !== undefined ? { content } : {}),
          ...(item.data.name !== undefined ? { name: item.data.name } : {}),
        });
        break;
      default:
        break; // default content: the page keeps its own
    }
  }
  if (actions.length > 0) options.push({ type: 'actions', content: actions, responseTokens: tokens, ...(withEventToken ? { eventToken } : {}) });
  return options;
}
