/**
 * The public shapes of Meridian's browser SDK: configuration, commands and the Edge interact wire
 * format it speaks (the same as Adobe's Web SDK, so one server endpoint serves both).
 */

export type ConsentValue = 'in' | 'out' | 'pending';

/** A JSON-like XDM object (ExperienceEvent fields: eventType, web, commerce, identityMap, …). */
export type Xdm = Record<string, unknown>;

export interface MeridianConfig {
  /** The datastream id (configId) created with `POST /api/v1/datastreams`. */
  configId: string;
  /** Where Meridian's edge answers, e.g. `https://cdp.example.com`; default: the origin the SDK was loaded from. */
  edgeUrl?: string;
  /** Path prefix of the edge endpoints (default `ee`). */
  edgeBasePath?: string;
  /** The datastream's org id; names the cookies `kndctr_<orgId with @ as _>_*` (default `Meridian@AdobeOrg`). */
  orgId?: string;
  /** CSS applied while the page-load decisions are fetched, e.g. `#hero { opacity: 0 !important }`. */
  prehidingStyle?: string;
  /** Longest wait for the edge, and for prehiding, in milliseconds (default 3000). */
  timeoutMs?: number;
  /** Consent before the visitor chose (default `in`); a choice saved by `setConsent` wins. */
  consent?: ConsentValue;
  /** Send a page view with `renderDecisions` when configured, and on SPA view changes (default true). */
  autoPageView?: boolean;
  /** The first view's name (default: the page path). */
  view?: string;
  /** Follow `history.pushState` and `popstate` as SPA view changes (default true). */
  trackViews?: boolean;
  /** Report clicks on personalized content (default true). */
  clickCollection?: boolean;
  /** How long a DOM action waits for its selector to appear (default 5000 ms). */
  renderWaitMs?: number;
  /** Log what the SDK does to the console. */
  debug?: boolean;
}

export interface SendEventOptions {
  xdm?: Xdm;
  /** Free-form data sent beside XDM (`data.__adobe.target` carries Target profile parameters). */
  data?: Record<string, unknown>;
  /** Decision scopes (locations) to decide; `__view__` is added when `renderDecisions` is true. */
  decisionScopes?: string[];
  /** Render page-wide (`__view__`) propositions and report their display. */
  renderDecisions?: boolean;
  /** The event is sent by beacon to `/collect` because the page is going away; no answer is read. */
  documentUnloading?: boolean;
}

/** A dom-action (or html/redirect) item's `data`, as the edge sends it. */
export interface ItemData {
  id?: string;
  type?: string;
  format?: string;
  /** HTML, text, URL, value, or for setAttribute/setStyle an object of name → value. */
  content?: unknown;
  selector?: string;
  prehidingSelector?: string;
  /** Attribute name (setAttribute) or CSS property (setStyle) when `content` is a string. */
  name?: string;
}

export interface PropositionItem {
  id: string;
  schema: string;
  meta?: Record<string, unknown>;
  data?: ItemData;
}

export interface Proposition {
  id: string;
  scope: string;
  scopeDetails?: Record<string, unknown>;
  items: PropositionItem[];
  /** Set by the SDK: true when it rendered this proposition. */
  renderAttempted?: boolean;
}

export interface SendEventResult {
  /** Every proposition the edge returned, with `renderAttempted`. */
  propositions: Proposition[];
  /** The propositions the SDK did not render (for the page to apply itself). */
  decisions: Proposition[];
}

export interface IdentityResult {
  identity: { ECID: string };
}

/** An `identityMap` entry (XDM): `{ id, authenticatedState, primary }`. */
export interface IdentityEntry {
  id: string;
  authenticatedState?: 'ambiguous' | 'authenticated' | 'loggedOut';
  primary?: boolean;
}

export type IdentityMap = Record<string, IdentityEntry[]>;

/** One element of the response's `handle` array. */
export interface Handle {
  type: string;
  payload?: unknown[];
  eventIndex?: number;
}

export interface InteractResponse {
  requestId?: string;
  handle?: Handle[];
  errors?: unknown[];
  warnings?: unknown[];
}

export interface StateStoreEntry {
  key: string;
  value: string;
  maxAge?: number;
  attrs?: Record<string, string>;
}
