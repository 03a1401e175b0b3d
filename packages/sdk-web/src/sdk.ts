/**
 * One SDK instance: configuration, the consent gate, events over the Edge interact protocol,
 * the device identity (kept by the edge in a first-party cookie through `state:store`),
 * page-load and SPA-view personalization with prehiding, and display/click reporting.
 *
 * @example
 *   const meridian = createMeridian();
 *   await meridian.configure({ configId: '…', edgeUrl: 'https://cdp.example.com' });
 *   const { propositions } = await meridian.sendEvent({ xdm: { eventType: 'commerce.productViews' }, decisionScopes: ['hero'] });
 */
import { cookieEntries, cookiePrefix, ecidFromIdentityCookie, readCookie, writeCookie } from './cookies.ts';
import { enrichXdm } from './context.ts';
import { DEFAULT_SCHEMA, DOM_ACTION_SCHEMA, HTML_SCHEMA, JSON_SCHEMA, PAGE_SCOPE, REDIRECT_SCHEMA, hideContainers, isPageWide, markedIds, renderPropositions, showContainers } from './render.ts';
import { beaconToEdge, postToEdge, type Endpoint } from './transport.ts';
import type {
  ConsentValue,
  IdentityEntry,
  IdentityMap,
  IdentityResult,
  InteractResponse,
  MeridianConfig,
  Proposition,
  SendEventOptions,
  SendEventResult,
  StateStoreEntry,
  Xdm,
} from './types.ts';

export const DEFAULT_ORG_ID = 'Meridian@AdobeOrg';
const CONSENT_MAX_AGE = 15_552_000; // 180 days, as the Edge's consent cookie
const DISPLAY = 'decisioning.propositionDisplay';
const INTERACT = 'decisioning.propositionInteract';
const PAGE_VIEW = 'web.webpagedetails.pageViews';

type Settings = Required<Omit<MeridianConfig, 'prehidingStyle' | 'view'>> & Pick<MeridianConfig, 'prehidingStyle' | 'view'>;
type EdgeEvent = { xdm: Xdm; data?: Record<string, unknown>; query?: Record<string, unknown> };

export interface Meridian {
  configure(config: MeridianConfig): Promise<void>;
  sendEvent(options?: SendEventOptions): Promise<SendEventResult>;
  getIdentity(): Promise<IdentityResult>;
  setConsent(options: { general: 'in' | 'out' }): Promise<void>;
  /** Authenticated identities (`{ CRMID: 'c1', Email: 'ann@example.com' }`) sent with every later event; `{}` forgets them. */
  setIdentity(identities: Record<string, string | IdentityEntry>): Promise<void>;
  /** Renders propositions the page fetched itself (any scope); no display is reported. */
  applyPropositions(options: { propositions: Proposition[] }): Promise<{ propositions: Proposition[] }>;
  /** An SPA view change: a page view with `renderDecisions` for the named view. */
  trackView(options: { view: string } | string): Promise<SendEventResult>;
  /** The snippet-style entry: `meridian('sendEvent', { … })`. */
  command(name: string, options?: unknown): Promise<unknown>;
}

function fail(message: string): Error {
  return new Error(`[meridian] ${message}`);
}

/** The origin of the script that loaded the SDK: the default edge. */
function scriptOrigin(scriptUrl: string | undefined): string {
  try {
    if (scriptUrl) return new URL(scriptUrl, location.href).origin;
  } catch {
    // fall through to the page's own origin
  }
  return location.origin;
}

function emptyResult(): SendEventResult {
  return { propositions: [], decisions: [] };
}

export function createMeridian(options: { scriptUrl?: string } = {}): Meridian {
  let settings: Settings | undefined;
  let endpoint: Endpoint;
  let prefix = '';
  let markConfigured: () => void;
  const configured = new Promise<void>((resolve) => (markConfigured = resolve));

  let consent: ConsentValue = 'in';
  const waitingForConsent: (() => void)[] = [];
  let ecid: string | undefined;
  let authenticated: IdentityMap = {};
  /** The request that will give this device its ECID, while it is under way. */
  let establishing: Promise<void> | undefined;
  /** Propositions the SDK rendered, by id: what a click on marked content reports. */
  const rendered = new Map<string, Proposition>();
  /** Notifications not yet sent; `pagehide` sends what is left by beacon. */
  const outbox: EdgeEvent[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  const log = (message: string, detail?: unknown) => {
    if (settings?.debug) console.info(`[meridian] ${message}`, detail ?? '');
  };

  /* -------------------------------------------------------------- consent */

  function whenConsented<T>(run: () => Promise<T>, declined: () => T): Promise<T> {
    if (consent === 'in') return run();
    if (consent === 'out') return Promise.resolve().then(declined);
    return new Promise<T>((resolve, reject) => waitingForConsent.push(() => whenConsented(run, declined).then(resolve, reject)));
  }

  function applyConsent(value: ConsentValue): void {
    consent = value;
    log(`consent ${value}`);
    if (value === 'out') {
      outbox.length = 0;
      showContainers();
    }
    if (value !== 'pending') for (const resume of waitingForConsent.splice(0)) resume();
    if (value === 'in' && outbox.length > 0) flush(false);
  }

  /* -------------------------------------------------------------- wire */

  function identityMap(xdm: Xdm | undefined): IdentityMap | undefined {
    const own = xdm?.identityMap as IdentityMap | undefined;
    if (Object.keys(authenticated).length === 0) return own;
    return { ...authenticated, ...(own ?? {}) };
  }

  function buildEvent(xdm: Xdm | undefined, data: Record<string, unknown> | undefined, scopes: readonly string[]): EdgeEvent {
    const ids = identityMap(xdm);
    const event: EdgeEvent = { xdm: enrichXdm(ids ? { ...xdm, identityMap: ids } : xdm) };
    if (data) event.data = data;
    if (scopes.length > 0) {
      const schemas = [HTML_SCHEMA, JSON_SCHEMA, REDIRECT_SCHEMA, DEFAULT_SCHEMA];
      if (scopes.includes(PAGE_SCOPE)) schemas.push(DOM_ACTION_SCHEMA);
      event.query = { personalization: { schemas, decisionScopes: [...scopes] } };
    }
    return event;
  }

  function requestBody(events: EdgeEvent[]): Record<string, unknown> {
    return {
      events,
      query: { identity: { fetch: ['ECID'] } },
      meta: { state: { domain: location.hostname, cookiesEnabled: navigator.cookieEnabled, entries: cookieEntries(prefix) } },
    };
  }

  /** Stores cookies and the ECID from the handles; returns the propositions. */
  function readResponse(response: InteractResponse): Proposition[] {
    const propositions: Proposition[] = [];
    for (const handle of response.handle ?? []) {
      const payload = Array.isArray(handle.payload) ? handle.payload : [];
      // With consent out the browser keeps no device ID: only the consent cookie itself is stored.
      if (handle.type === 'state:store')
        for (const entry of payload as StateStoreEntry[]) if (entry && entry.key && (consent !== 'out' || entry.key === `${prefix}_consent`)) writeCookie(entry);
      if (handle.type === 'identity:result' && consent !== 'out')
        for (const item of payload as { id?: string; namespace?: { code?: string } }[]) if (item?.namespace?.code === 'ECID' && item.id) ecid = item.id;
      if (handle.type === 'personalization:decisions')
        for (const item of payload as Proposition[]) if (item && item.id) propositions.push({ ...item, items: Array.isArray(item.items) ? item.items : [] });
    }
    if (response.errors?.length) log('edge reported errors', response.errors);
    return propositions;
  }

  const hasIdentity = () => ecid !== undefined || readCookie(`${prefix}_identity`) !== undefined;

  /**
   * Sends a request built at send time. Until the device has an identity, requests go one at a
   * time, so the first answer's ECID (and cookie) is the one every later request carries.
   */
  async function interact(body: () => unknown, action: 'interact' | 'identity/acquire' = 'interact'): Promise<Proposition[]> {
    while (!hasIdentity() && establishing) await establishing;
    const request = postToEdge(endpoint, action, body(), settings!.timeoutMs).then(readResponse);
    if (!hasIdentity()) establishing = request.then(
      () => undefined,
      () => undefined,
    ).finally(() => (establishing = undefined));
    return request;
  }

  /* -------------------------------------------------------------- notifications */

  function notification(eventType: string, propositions: readonly Proposition[], kind: 'display' | 'interact'): EdgeEvent {
    const decisioning: Record<string, unknown> = {
      propositions: propositions.map((p) => ({ id: p.id, scope: p.scope, ...(p.scopeDetails ? { scopeDetails: p.scopeDetails } : {}) })),
      propositionEventType: { [kind]: 1 },
    };
    return buildEvent({ eventType, _experience: { decisioning } }, undefined, []);
  }

  function flush(unloading: boolean): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (consent !== 'in') return;
    for (const event of outbox.splice(0)) {
      if (unloading) beaconToEdge(endpoint, requestBody([event]));
      else interact(() => requestBody([event])).catch((error: unknown) => log('notification failed', error));
    }
  }

  function report(event: EdgeEvent, unloading = false): void {
    if (consent === 'out') return;
    outbox.push(event);
    if (unloading) flush(true);
    else flushTimer ??= setTimeout(() => flush(false), 0);
  }

  function onClick(event: MouseEvent): void {
    const propositions = markedIds(event.target)
      .map((id) => rendered.get(id))
      .filter((p): p is Proposition => p !== undefined);
    if (propositions.length === 0) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    // A click on a link may end the page: the notification then goes by beacon at once.
    report(notification(INTERACT, propositions, 'interact'), link !== null);
  }

  /* -------------------------------------------------------------- rendering */

  async function renderAndReport(propositions: Proposition[]): Promise<void> {
    const done = await renderPropositions(propositions, {
      waitMs: settings!.renderWaitMs,
      afterHiding: showContainers,
      log,
      beforeRedirect: (p) => report(notification(DISPLAY, [p], 'display'), true),
    });
    for (const p of done) rendered.set(p.id, p);
    const displayed = done.filter((p) => !p.items.some((item) => item.schema === REDIRECT_SCHEMA || item.data?.type === 'redirect'));
    if (displayed.length > 0) report(notification(DISPLAY, displayed, 'display'));
  }

  /* -------------------------------------------------------------- commands */

  async function sendEvent(opts: SendEventOptions = {}): Promise<SendEventResult> {
    await configured;
    return whenConsented(async () => {
      const scopes = [...(opts.decisionScopes ?? [])];
      if (opts.renderDecisions && !scopes.includes(PAGE_SCOPE)) scopes.push(PAGE_SCOPE);
      const event = buildEvent(opts.xdm, opts.data, scopes);
      if (opts.documentUnloading) {
        beaconToEdge(endpoint, requestBody([event]));
        return emptyResult();
      }
      const propositions = await interact(() => requestBody([event]));
      if (opts.renderDecisions) await renderAndReport(propositions.filter(isPageWide));
      for (const p of propositions) p.renderAttempted = p.renderAttempted === true;
      return { propositions, decisions: propositions.filter((p) => !p.renderAttempted) };
    }, emptyResult);
  }

  function trackView(view: string): Promise<SendEventResult> {
    return sendEvent({ xdm: { eventType: PAGE_VIEW, web: { webPageDetails: { name: view, viewName: view } } }, renderDecisions: true });
  }

  /**
   * A view with personalization: containers hidden now (before the page paints the new view),
   * shown once its decisions are rendered or after `timeoutMs`. The page view leaves a
   * microtask later, so the app has rendered the view and a `setIdentity` issued right after
   * `configure` rides along.
   */
  function personalizeView(view: string): void {
    const config = settings!;
    if (consent !== 'out') hideContainers(config.prehidingStyle);
    const timer = setTimeout(showContainers, config.timeoutMs);
    Promise.resolve()
      .then(() => trackView(view))
      .catch((error: unknown) => console.warn('[meridian] page view failed:', error instanceof Error ? error.message : error))
      .finally(() => {
        clearTimeout(timer);
        showContainers();
      });
  }

  /** SPA view changes: `history.pushState` and the back/forward buttons, when the path changes. */
  function followViews(): void {
    let lastPath = location.pathname;
    const changed = () => {
      if (location.pathname === lastPath) return;
      lastPath = location.pathname;
      personalizeView(location.pathname);
    };
    const pushState = history.pushState;
    history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
      pushState.apply(this, args);
      changed();
    };
    addEventListener('popstate', changed);
  }

  async function configure(config: MeridianConfig): Promise<void> {
    if (settings) throw fail('already configured');
    if (!config || typeof config.configId !== 'string' || !config.configId) throw fail('configure needs a configId');
    if (config.consent !== undefined && !['in', 'out', 'pending'].includes(config.consent)) throw fail('consent must be "in", "out" or "pending"');
    settings = {
      configId: config.configId,
      edgeUrl: config.edgeUrl ?? scriptOrigin(options.scriptUrl),
      edgeBasePath: config.edgeBasePath ?? 'ee',
      orgId: config.orgId ?? DEFAULT_ORG_ID,
      timeoutMs: config.timeoutMs ?? 3000,
      consent: config.consent ?? 'in',
      autoPageView: config.autoPageView ?? true,
      trackViews: config.trackViews ?? true,
      clickCollection: config.clickCollection ?? true,
      renderWaitMs: config.renderWaitMs ?? 5000,
      debug: config.debug ?? false,
      ...(config.prehidingStyle !== undefined ? { prehidingStyle: config.prehidingStyle } : {}),
      ...(config.view !== undefined ? { view: config.view } : {}),
    };
    endpoint = { edgeUrl: settings.edgeUrl, edgeBasePath: settings.edgeBasePath, configId: settings.configId };
    prefix = cookiePrefix(settings.orgId);
    const saved = /(?:^|;)\s*general=(in|out)/.exec(readCookie(`${prefix}_consent`) ?? '');
    applyConsent(saved ? (saved[1] as ConsentValue) : settings.consent);
    if (settings.clickCollection) document.addEventListener('click', onClick, true);
    addEventListener('pagehide', () => flush(true));
    if (settings.autoPageView) {
      personalizeView(settings.view ?? location.pathname);
      if (settings.trackViews) followViews();
    } else if (consent !== 'out') showContainers();
    markConfigured();
  }

  async function getIdentity(): Promise<IdentityResult> {
    await configured;
    return whenConsented(
      async () => {
        // One task later, a page view issued in the same task has started and is the one to wait for.
        if (!hasIdentity() && !establishing) await new Promise((resolve) => setTimeout(resolve, 0));
        while (!ecid && establishing) await establishing;
        if (!ecid) ecid = ecidFromIdentityCookie(readCookie(`${prefix}_identity`) ?? '');
        if (!ecid) await interact(() => ({ query: { identity: { fetch: ['ECID'] } }, meta: requestBody([]).meta }), 'identity/acquire');
        if (!ecid) throw fail('the edge returned no ECID');
        return { identity: { ECID: ecid } };
      },
      () => {
        throw fail('consent is out: no identity');
      },
    );
  }

  async function setConsent(choice: { general: 'in' | 'out' }): Promise<void> {
    await configured;
    const general = choice?.general;
    if (general !== 'in' && general !== 'out') throw fail('setConsent needs { general: "in" | "out" }');
    writeCookie({ key: `${prefix}_consent`, value: `general=${general}`, maxAge: CONSENT_MAX_AGE });
    applyConsent(general);
    const body = {
      consent: [{ standard: 'Adobe', version: '1.0', value: { general } }],
      ...(Object.keys(authenticated).length > 0 ? { identityMap: authenticated } : {}),
      meta: requestBody([]).meta,
    };
    // The choice binds this browser at once; telling the edge is best effort.
    await postToEdge(endpoint, 'privacy/set-consent', body, settings!.timeoutMs).then(readResponse, (error: unknown) => log('set-consent not delivered', error));
  }

  async function setIdentity(identities: Record<string, string | IdentityEntry>): Promise<void> {
    if (!identities || typeof identities !== 'object') throw fail('setIdentity needs { namespace: id }');
    const next: IdentityMap = {};
    let primary = true;
    for (const [namespace, value] of Object.entries(identities)) {
      const entry = typeof value === 'string' ? { id: value } : value;
      if (!entry || typeof entry.id !== 'string' || !entry.id) throw fail(`identity ${namespace} needs an id`);
      next[namespace] = [{ authenticatedState: 'authenticated', primary, ...entry }];
      primary = false;
    }
    authenticated = next;
  }

  async function applyPropositions(opts: { propositions: Proposition[] }): Promise<{ propositions: Proposition[] }> {
    if (!opts || !Array.isArray(opts.propositions)) throw fail('applyPropositions needs { propositions }');
    const propositions = opts.propositions.map((p) => ({ ...p, items: Array.isArray(p.items) ? p.items : [] }));
    const done = await renderPropositions(propositions, { waitMs: settings?.renderWaitMs ?? 5000, log });
    for (const p of done) rendered.set(p.id, p);
    return { propositions };
  }

  const api: Meridian = {
    configure,
    sendEvent,
    getIdentity,
    setConsent,
    setIdentity,
    applyPropositions,
    trackView(view) {
      const name = typeof view === 'string' ? view : view?.view;
      return typeof name === 'string' && name ? trackView(name) : Promise.reject(fail('trackView needs a view name'));
    },
    command(name, opts) {
      switch (name) {
        case 'configure':
          return configure(opts as MeridianConfig);
        case 'sendEvent':
          return sendEvent(opts as SendEventOptions | undefined);
        case 'getIdentity':
          return getIdentity();
        case 'setConsent':
          return setConsent(opts as { general: 'in' | 'out' });
        case 'setIdentity':
          return setIdentity(opts as Record<string, string>);
        case 'applyPropositions':
          return applyPropositions(opts as { propositions: Proposition[] });
        case 'trackView':
          return api.trackView(opts as string);
        default:
          return Promise.reject(fail(`unknown command "${name}"`));
      }
    },
  };
  return api;
}
