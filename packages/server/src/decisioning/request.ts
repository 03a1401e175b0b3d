/**
 * What a caller hands `decide()` and what it gets back: Meridian's neutral decision shape, which the
 * edge endpoints map to the Adobe Edge `personalization:decisions` handle and to Target delivery
 * options.
 */
import type { JsonObject, JsonValue } from '../storage/json.ts';

/** Facts about the request that context conditions read; all optional. */
export interface DecisionContext {
  /** The page URL (its query parameters feed `queryParam` conditions). */
  url?: string;
  referrer?: string;
  /** desktop, mobile, tablet or other (parsed from the user agent by the caller). */
  deviceType?: string;
  browser?: string;
  os?: string;
  geo?: { country?: string; region?: string; city?: string };
  /** Scope (mbox) parameters sent with the request. */
  params?: Readonly<Record<string, string>>;
}

export interface DecisionRequest {
  /** The device/browser id (ECID, tntId, Meridian cookie). */
  visitorId: string;
  /** The person's profile id when known: assignment then follows the person across devices. */
  profileId?: string;
  /** audience id → status, as the edge projection holds it; `realized`/`existing` count as in. */
  memberships?: Readonly<Record<string, string>>;
  /** Profile attributes activities may read (`profile` conditions). */
  attributes?: JsonObject;
  context?: DecisionContext;
  /** Decision scopes asked for; `__view__` is the page load. */
  scopes: readonly string[];
  /** Evaluation time, epoch ms (default now): start/end dates and time-of-day conditions. */
  now?: number;
}

export const ITEM_SCHEMAS = {
  html: 'https://ns.adobe.com/personalization/html-content-item',
  json: 'https://ns.adobe.com/personalization/json-content-item',
  redirect: 'https://ns.adobe.com/personalization/redirect-item',
  domAction: 'https://ns.adobe.com/personalization/dom-action',
  default: 'https://ns.adobe.com/personalization/default-content-item',
} as const;

export interface PropositionItem {
  id: string;
  schema: (typeof ITEM_SCHEMAS)[keyof typeof ITEM_SCHEMAS];
  /** Response tokens (Target names): activity.id, experience.id, offer.id, offer.name, … */
  meta: Readonly<Record<string, string>>;
  data: Readonly<Record<string, JsonValue>>;
}

export interface ScopeDetails {
  decisionProvider: 'MERIDIAN';
  activity: { id: string };
  experience: { id: string };
  strategies: { algorithmID: string; trafficType: string }[];
  /** `eventToken` identifies the activity/experience in display and click notifications. */
  characteristics: { eventToken: string };
  correlationID: string;
}

export interface Proposition {
  /** `MD:` + base64 of `{"activityId","experienceId"}` (Target's `AT:` ids have the same layout). */
  id: string;
  scope: string;
  activity: { id: string; name: string; type: string; priority: number };
  experience: { id: string; name: string; control: boolean };
  items: readonly PropositionItem[];
  scopeDetails: ScopeDetails;
}

export interface DecisionResult {
  /** The key assignment used: the profile id when known, else the visitor id. */
  assignmentKey: string;
  propositions: Proposition[];
  /** Activities this visitor entered but is held out of (no content, not counted). */
  heldOut: string[];
}

/** What an eventToken carries back to `recordImpression` / `recordConversion`. */
export interface EventTokenPayload {
  activityId: string;
  experienceId: string;
  /** The activity's audiences the visitor was in when decided (report breakdown). */
  audiences: string[];
}

export function encodeEventToken(payload: EventTokenPayload): string {
  return Buffer.from(JSON.stringify({ a: payload.activityId, e: payload.experienceId, u: payload.audiences })).toString('base64url');
}

/** The payload of a token made by `encodeEventToken`, or undefined when it is not one. */
export function decodeEventToken(token: string): EventTokenPayload | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { a, e, u } = parsed as { a?: unknown; e?: unknown; u?: unknown };
    if (typeof a !== 'string' || typeof e !== 'string') return undefined;
    return { activityId: a, experienceId: e, audiences: Array.isArray(u) ? u.filter((x): x is string => typeof x === 'string') : [] };
  } catch {
    return undefined;
  }
}
