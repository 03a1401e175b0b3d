/**
 * Consent: reads the consents field group (and the legacy opt-out groups) of a merged profile and
 * decides, with a reason, whether each purpose is allowed. Pure. The rules:
 * - a general opt-out (`privacyOptOuts[]` general_opt_out = out, or `optInOut.globalOptout`) denies every purpose;
 * - `n` (opt-out) and `dn` (default no) deny; `y`, `dy` and the lawful bases (LI, CT, CP, VI, PI) allow;
 * - `p` (pending) denies until the person decides;
 * - unset or `u` (unknown) takes the purpose's default: allowed (implicit consent, as the suite's
 *   consent policies treat "not equal to no") except `share`, denied until given (export to a
 *   third party cannot be taken back);
 * - a marketing channel reads its own value first (`consents.marketing.email.val`), then
 *   `consents.marketing.any.val`; `any` = n denies every channel whatever the channel says.
 *
 * @example
 *   allows({ attributes: { consents: { marketing: { email: { val: 'n' } } } } }, 'email'); // false
 *   decideConsent({ attributes: {} }, 'share').reason; // 'not set: sharing is denied until consent is given'
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';

export const CONSENT_PURPOSES = ['collect', 'personalize', 'share', 'marketing', 'email', 'sms', 'push', 'call'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** The marketing channels, each with a value at `consents.marketing.<channel>.val`. */
export const MARKETING_CHANNELS = ['email', 'sms', 'push', 'call'] as const;
type Channel = (typeof MARKETING_CHANNELS)[number];

/** What each purpose defaults to when the profile says nothing (unset or `u`). */
export const CONSENT_DEFAULTS: Readonly<Record<ConsentPurpose, boolean>> = {
  collect: true,
  personalize: true,
  share: false,
  marketing: true,
  email: true,
  sms: true,
  push: true,
  call: true,
};

export interface ConsentDecision {
  purpose: ConsentPurpose;
  allowed: boolean;
  /** The consent value that decided (`y`, `n`, ...), or null when the default decided. */
  value: string | null;
  /** The profile field that decided, or 'default'. */
  source: string;
  reason: string;
}

export interface ConsentOptions {
  /** Overrides of CONSENT_DEFAULTS. */
  defaults?: Partial<Record<ConsentPurpose, boolean>>;
}

/** Anything holding merged profile attributes, e.g. a MergedProfile. */
export interface ConsentSubject {
  attributes: JsonObject;
}

const ALLOWING: Record<string, string> = {
  y: 'opted in',
  dy: 'allowed by default (dy)',
  LI: 'legitimate interest',
  CT: 'contract',
  CP: 'legal obligation',
  VI: 'vital interest',
  PI: 'public interest',
};
const DENYING: Record<string, string> = { n: 'opted out', dn: 'denied by default (dn)', p: 'pending: denied until the person decides' };

function at(root: JsonObject, path: string): JsonValue | undefined {
  let value: JsonValue | undefined = root;
  for (const key of path.split('.')) {
    if (!isJsonObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/** The choice at `path` (a `.val` field) as a known verdict, or undefined when unset or unknown. */
function choice(attributes: JsonObject, path: string): { allowed: boolean; value: string; source: string; reason: string } | undefined {
  const value = at(attributes, path);
  if (typeof value !== 'string') return undefined;
  if (value in ALLOWING) return { allowed: true, value, source: path, reason: ALLOWING[value] };
  if (value in DENYING) return { allowed: false, value, source: path, reason: DENYING[value] };
  return undefined; // 'u' and anything unrecognised fall to the default
}

/** A general opt-out in the legacy groups, with where it was found. */
export function generalOptOut(attributes: JsonObject): string | undefined {
  const list = at(attributes, 'privacyOptOuts');
  if (Array.isArray(list)) {
    for (const entry of list) if (isJsonObject(entry) && entry.optOutType === 'general_opt_out' && entry.optOutValue === 'out') return 'privacyOptOuts[general_opt_out]';
  }
  if (at(attributes, 'optInOut.globalOptout') === true) return 'optInOut.globalOptout';
  return undefined;
}

const CHANNEL_URIS: Record<Channel, string> = {
  email: 'https://ns.adobe.com/xdm/channels/email',
  sms: 'https://ns.adobe.com/xdm/channels/sms',
  push: 'https://ns.adobe.com/xdm/channels/push',
  call: 'https://ns.adobe.com/xdm/channels/phone',
};

function fallback(purpose: ConsentPurpose, options: ConsentOptions, what: string): ConsentDecision {
  const allowed = options.defaults?.[purpose] ?? CONSENT_DEFAULTS[purpose];
  return { purpose, allowed, value: null, source: 'default', reason: allowed ? `not set: ${what} is allowed by default (implicit consent)` : `not set: ${what} is denied until consent is given` };
}

const decided = (purpose: ConsentPurpose, verdict: NonNullable<ReturnType<typeof choice>>): ConsentDecision => ({ purpose, ...verdict });

/** Whether the profile allows a purpose, with the value, field and reason that decided. */
export function decideConsent(profile: ConsentSubject, purpose: ConsentPurpose, options: ConsentOptions = {}): ConsentDecision {
  const attrs = profile.attributes;
  const optOut = generalOptOut(attrs);
  if (optOut) return { purpose, allowed: false, value: 'out', source: optOut, reason: 'general opt-out: no use of this person’s data' };
  switch (purpose) {
    case 'collect': {
      const c = choice(attrs, 'consents.collect.val');
      return c ? decided(purpose, c) : fallback(purpose, options, 'collection');
    }
    case 'personalize': {
      const c = choice(attrs, 'consents.personalize.content.val');
      return c ? decided(purpose, c) : fallback(purpose, options, 'personalization');
    }
    case 'share': {
      const list = at(attrs, 'privacyOptOuts');
      if (Array.isArray(list) && list.some((e) => isJsonObject(e) && e.optOutType === 'sales_sharing_opt_out' && e.optOutValue === 'out')) {
        return { purpose, allowed: false, value: 'out', source: 'privacyOptOuts[sales_sharing_opt_out]', reason: 'opted out of sale and sharing' };
      }
      const c = choice(attrs, 'consents.share.val');
      return c ? decided(purpose, c) : fallback(purpose, options, 'sharing');
    }
    case 'marketing': {
      const c = choice(attrs, 'consents.marketing.any.val');
      return c ? decided(purpose, c) : fallback(purpose, options, 'marketing');
    }
    default:
      return decideChannel(attrs, purpose, options);
  }
}

function decideChannel(attrs: JsonObject, channel: Channel, options: ConsentOptions): ConsentDecision {
  const any = choice(attrs, 'consents.marketing.any.val');
  // Opting out of all marketing outranks a yes on one channel.
  if (any && !any.allowed && any.value !== 'p') return { ...decided(channel, any), reason: `${any.reason} of all marketing` };
  const own = choice(attrs, `consents.marketing.${channel}.val`);
  if (own) return decided(channel, own);
  const optInOut = at(attrs, 'optInOut');
  const legacy = isJsonObject(optInOut) ? optInOut[CHANNEL_URIS[channel]] : undefined;
  if (legacy === 'out') return { purpose: channel, allowed: false, value: 'out', source: `optInOut[${CHANNEL_URIS[channel]}]`, reason: 'opted out (legacy optInOut)' };
  if (legacy === 'in') return { purpose: channel, allowed: true, value: 'in', source: `optInOut[${CHANNEL_URIS[channel]}]`, reason: 'opted in (legacy optInOut)' };
  if (any) return { ...decided(channel, any), reason: `${any.reason} (all marketing)` };
  return fallback(channel, options, `${channel} marketing`);
}

/** `decideConsent(...).allowed`. */
export function allows(profile: ConsentSubject, purpose: ConsentPurpose, options: ConsentOptions = {}): boolean {
  return decideConsent(profile, purpose, options).allowed;
}

/** Every purpose's decision, the general opt-out and the preferred channel. */
export function consentSummary(profile: ConsentSubject, options: ConsentOptions = {}) {
  const preferred = at(profile.attributes, 'consents.marketing.preferred');
  return {
    generalOptOut: generalOptOut(profile.attributes) !== undefined,
    preferredChannel: typeof preferred === 'string' ? preferred : null,
    decisions: CONSENT_PURPOSES.map((purpose) => decideConsent(profile, purpose, options)),
  };
}

/**
 * The consent purposes a marketing action needs, for an activation's consent filter: a profile
 * goes out only when it allows all of them. Custom actions need none unless the caller says so.
 */
export function consentPurposesFor(marketingAction: string): ConsentPurpose[] {
  switch (marketingAction) {
    case 'emailTargeting':
      return ['email'];
    case 'exportToThirdParty':
    case 'segmentMatch':
      return ['share'];
    case 'crossSiteTargeting':
      return ['share', 'personalize'];
    case 'onsitePersonalization':
    case 'onsiteAdvertising':
    case 'singleIdentityPersonalization':
      return ['personalize'];
    default:
      return [];
  }
}
