/**
 * The Edge Network wire format (what `@adobe/alloy` and the Server API send and expect), pure:
 * reading a request body into events, identities, consent and decision context, and building the
 * response handles (`identity:result`, `state:store`, `locationHint:result`,
 * `personalization:decisions`, `meridian:audiences`). See docs/edge.md.
 *
 * @example
 *   const read = readInteract(JSON.parse(body), { cookies, prefix: 'kndctr_Org_AdobeOrg', userAgent });
 *   read.events[0].scopes; // ['__view__']
 */
import type { DecisionContext, Proposition } from '../../decisioning/request.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../storage/json.ts';
import type { ConsentVerdict, EdgeEventInput, EdgeIdentity } from '../pipeline.ts';
import { decodeIdentityCookie, encodeIdentityCookie, isEcid } from './identity-cookie.ts';

export const IDENTITY_MAX_AGE = 34_128_000;
export const CLUSTER_MAX_AGE = 1800;
export const CONSENT_MAX_AGE = 15_552_000;
/** Meridian's one "region": the hint alloy then puts in the path (`/ee/mer1/v1/interact`). */
export const LOCATION_HINT = 'mer1';

export interface EventError {
  type: string;
  status: number;
  title: string;
  detail: string;
  report: { eventIndex: number };
}

export interface ReadInteract {
  /** The ECID the request carries (state entry, cookie or identityMap), if any. */
  ecid?: string;
  identities: EdgeIdentity[];
  /** Valid events with their index in the request. */
  events: { index: number; input: EdgeEventInput }[];
  errors: EventError[];
  consent: ConsentVerdict;
}

export interface ReadOptions {
  cookies: ReadonlyMap<string, string>;
  /** `kndctr_<org>`. */
  prefix: string;
  userAgent?: string;
}

/** State entries (`meta.state.entries`) and HTTP cookies, entries first. */
function stateValue(meta: JsonObject, cookies: ReadonlyMap<string, string>, key: string): string | undefined {
  const state = isJsonObject(meta.state) ? meta.state : {};
  if (Array.isArray(state.entries)) {
    for (const e of state.entries) if (isJsonObject(e) && e.key === key && typeof e.value === 'string') return e.value;
  }
  return cookies.get(key);
}

/** Identities from an identityMap, valid ones only. */
export function identitiesFromMap(map: JsonValue | undefined): EdgeIdentity[] {
  const out: EdgeIdentity[] = [];
  if (!isJsonObject(map)) return out;
  for (const [namespace, list] of Object.entries(map)) {
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      if (!isJsonObject(e) || typeof e.id !== 'string' || e.id === '') continue;
      out.push({
        namespace,
        id: e.id,
        ...(e.primary === true ? { primary: true } : {}),
        ...(typeof e.authenticatedState === 'string' ? { authenticatedState: e.authenticatedState } : {}),
      });
    }
  }
  return out;
}

const NO: ReadonlySet<string> = new Set(['n', 'out', 'dn', 'p', 'pending']);

function consentEntry(entry: JsonValue, verdict: ConsentVerdict): void {
  if (!isJsonObject(entry)) return;
  const value = entry.value;
  if (!isJsonObject(value)) return;
  // Adobe 1.0: { general: 'in' | 'out' }
  if (typeof value.general === 'string' && NO.has(value.general)) {
    verdict.collect = false;
    verdict.personalize = false;
  }
  // Adobe 2.0 / XDM consents: { collect: { val }, personalize: { content: { val } } }
  readXdmConsents(value, verdict);
}

function readXdmConsents(value: JsonObject, verdict: ConsentVerdict): void {
  const collect = isJsonObject(value.collect) ? value.collect.val : undefined;
  if (typeof collect === 'string' && NO.has(collect)) {
    verdict.collect = false;
    verdict.personalize = false;
  }
  const personalize = isJsonObject(value.personalize) && isJsonObject(value.personalize.content) ? value.personalize.content.val : undefined;
  if (typeof personalize === 'string' && NO.has(personalize)) verdict.personalize = false;
}

/** What the request says about consent: `meta.consent`, `consent`, the consent cookie, `xdm.consents`. */
export function requestConsent(body: JsonObject, meta: JsonObject, cookies: ReadonlyMap<string, string>, prefix: string): ConsentVerdict {
  const verdict: ConsentVerdict = { collect: true, personalize: true };
  for (const source of [meta.consent, body.consent]) {
    if (Array.isArray(source)) source.forEach((e) => consentEntry(e, verdict));
    else if (source !== undefined) consentEntry(source, verdict);
  }
  const cookie = stateValue(meta, cookies, `${prefix}_consent`);
  if (cookie && /(^|;)\s*general=out/.test(decodeURIComponent(cookie))) {
    verdict.collect = false;
    verdict.personalize = false;
  }
  return verdict;
}

/** A rough user-agent reading for device, browser and OS conditions. */
export function parseUserAgent(ua: string | undefined): Pick<DecisionContext, 'deviceType' | 'browser' | 'os'> {
  if (!ua) return {};
  const s = ua.toLowerCase();
  const deviceType = /ipad|tablet/.test(s) ? 'tablet' : /mobi|iphone|android/.test(s) ? 'mobile' : /windows|macintosh|x11|linux|cros/.test(s) ? 'desktop' : 'other';
  const browser = /edg\//.test(s) ? 'edge' : /firefox\//.test(s) ? 'firefox' : /chrome|chromium|crios/.test(s) ? 'chrome' : /safari\//.test(s) ? 'safari' : 'other';
  const os = /android/.test(s) ? 'android' : /iphone|ipad|ios/.test(s) ? 'ios' : /windows/.test(s) ? 'windows' : /mac os|macintosh/.test(s) ? 'macos' : /linux|x11/.test(s) ? 'linux' : 'other';
  return { deviceType, browser, os };
}

function at(root: JsonValue | undefined, path: string): JsonValue | undefined {
  let v = root;
  for (const k of path.split('.')) v = isJsonObject(v) ? v[k] : undefined;
  return v;
}

function eventError(index: number, detail: string): EventError {
  return { type: 'https://meridian.dev/errors/EDGE_EVENT_INVALID', status: 400, title: 'The event is not valid', detail, report: { eventIndex: index } };
}

/** Checks one event and turns it into pipeline input, or says what is wrong with it. */
function readEvent(raw: JsonValue, index: number, userAgent: string | undefined): EdgeEventInput | EventError {
  if (!isJsonObject(raw)) return eventError(index, `events[${index}] must be an object`);
  const xdm = raw.xdm ?? {};
  if (!isJsonObject(xdm)) return eventError(index, `events[${index}].xdm must be an object`);
  if (xdm.timestamp !== undefined && (typeof xdm.timestamp !== 'string' || Number.isNaN(Date.parse(xdm.timestamp)))) {
    return eventError(index, `events[${index}].xdm.timestamp must be an ISO 8601 date-time`);
  }
  if (xdm.eventType !== undefined && typeof xdm.eventType !== 'string') return eventError(index, `events[${index}].xdm.eventType must be a string`);
  if (raw.data !== undefined && !isJsonObject(raw.data)) return eventError(index, `events[${index}].data must be an object`);
  const scopesRaw = at(raw, 'query.personalization.decisionScopes');
  if (scopesRaw !== undefined && (!Array.isArray(scopesRaw) || scopesRaw.some((s) => typeof s !== 'string' || s === ''))) {
    return eventError(index, `events[${index}].query.personalization.decisionScopes must be an array of scope names`);
  }
  const scopes = (scopesRaw as string[] | undefined) ?? [];
  const url = at(xdm, 'web.webPageDetails.URL');
  const referrer = at(xdm, 'web.webReferrer.URL');
  const ua = at(xdm, 'environment.browserDetails.userAgent');
  const params: Record<string, string> = {};
  const target = at(raw.data, '__adobe.target');
  if (isJsonObject(target)) {
    for (const [k, v] of Object.entries(target)) if (!k.startsWith('profile.') && v !== null && typeof v !== 'object') params[k] = String(v);
  }
  const geo = at(xdm, 'placeContext.geo');
  const context: DecisionContext = {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof referrer === 'string' ? { referrer } : {}),
    ...parseUserAgent(typeof ua === 'string' ? ua : userAgent),
    ...(Object.keys(params).length ? { params } : {}),
    ...(isJsonObject(geo)
      ? { geo: { ...(typeof geo.countryCode === 'string' ? { country: geo.countryCode } : {}), ...(typeof geo.stateProvince === 'string' ? { region: geo.stateProvince } : {}), ...(typeof geo.city === 'string' ? { city: geo.city } : {}) } }
      : {}),
  };
  return { xdm, scopes: [...new Set(scopes)], context };
}

/**
 * Reads an interact/collect body: `events[]` (v1) or `event` (v2), identities from the state
 * entries, cookies and every event's identityMap, and consent.
 */
export function readInteract(body: JsonObject, options: ReadOptions): ReadInteract {
  const meta = isJsonObject(body.meta) ? body.meta : {};
  const rawEvents: JsonValue[] = Array.isArray(body.events) ? body.events : body.event !== undefined ? [body.event] : [];
  const events: ReadInteract['events'] = [];
  const errors: EventError[] = [];
  rawEvents.forEach((raw, index) => {
    const read = readEvent(raw, index, options.userAgent);
    if ('report' in read) errors.push(read);
    else events.push({ index, input: read });
  });
  const identities: EdgeIdentity[] = [];
  for (const { input } of events) {
    for (const identity of identitiesFromMap(input.xdm.identityMap)) {
      if (!identities.some((i) => i.namespace === identity.namespace && i.id === identity.id)) identities.push(identity);
    }
  }
  const cookie = stateValue(meta, options.cookies, `${options.prefix}_identity`);
  const fromCookie = cookie ? decodeIdentityCookie(cookie) : undefined;
  const fromMap = identities.find((i) => i.namespace === 'ECID' && isEcid(i.id))?.id;
  const ecid = fromCookie ?? fromMap;
  return { ...(ecid ? { ecid } : {}), identities, events, errors, consent: requestConsent(body, meta, options.cookies, options.prefix) };
}

export interface Handle {
  type: string;
  payload: JsonValue[];
  eventIndex?: number;
}

/** `identity:result`, `state:store` (identity and cluster cookies) and `locationHint:result`. */
export function identityHandles(ecid: string, prefix: string): Handle[] {
  return [
    { type: 'identity:result', payload: [{ id: ecid, namespace: { code: 'ECID' } }] },
    {
      type: 'state:store',
      payload: [
        { key: `${prefix}_identity`, value: encodeIdentityCookie(ecid), maxAge: IDENTITY_MAX_AGE, attrs: { SameSite: 'None' } },
        { key: `${prefix}_cluster`, value: LOCATION_HINT, maxAge: CLUSTER_MAX_AGE, attrs: { SameSite: 'None' } },
      ],
    },
    { type: 'locationHint:result', payload: [{ scope: 'EdgeNetwork', hint: LOCATION_HINT, ttlSeconds: CLUSTER_MAX_AGE }] },
  ];
}

/** A neutral proposition as the Edge Network sends it (`decisionProvider` stays Meridian's). */
export function edgeProposition(p: Proposition): JsonObject {
  return {
    id: p.id,
    scope: p.scope,
    scopeDetails: p.scopeDetails as unknown as JsonObject,
    items: p.items.map((item) => ({ id: item.id, schema: item.schema, meta: { ...item.meta }, data: { ...item.data } })),
  };
}

/** The consent cookie `set-consent` stores: `general=in|out`. */
export function consentHandle(prefix: string, general: 'in' | 'out'): Handle {
  return { type: 'state:store', payload: [{ key: `${prefix}_consent`, value: `general=${general}`, maxAge: CONSENT_MAX_AGE, attrs: { SameSite: 'None' } }] };
}
