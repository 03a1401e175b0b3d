/**
 * Identity namespaces: the standard set and custom ones, each with a type, value rules and
 * normalization, and the hashed variants (SHA-256 of the normalized value) generated on request.
 *
 * @example
 *   normalizeIdentity(namespaceByCode('Email')!, '  Ann@Example.COM ') // { ok: true, value: 'ann@example.com' }
 *   hashedVariant('Email', 'ann@example.com') // { namespace: 'Email_LC_SHA256', value: '<64 hex>' }
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

export const IdentityType = Type.Union(
  [
    Type.Literal('cookie'),
    Type.Literal('device'),
    Type.Literal('cross_device'),
    Type.Literal('email'),
    Type.Literal('phone'),
    Type.Literal('non_people'),
    Type.Literal('partner'),
  ],
  { description: 'cookie, device, cross_device (CRM/login), email, phone, non_people (never stitched), partner (never stitched)' },
);
export type IdentityType = Static<typeof IdentityType>;

export const Namespace = Type.Object({
  code: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', description: 'the identity symbol used in identityMap' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  type: IdentityType,
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  /** Optional regular expression every value must match (after normalization). */
  pattern: Type.Optional(Type.String({ maxLength: 500 })),
  custom: Type.Boolean(),
});
export type Namespace = Static<typeof Namespace>;

export const MAX_IDENTITY_LENGTH = 1024;

const HEX64 = '^[0-9a-f]{64}$';

export const STANDARD_NAMESPACES: readonly Namespace[] = [
  { code: 'ECID', name: 'Experience Cloud ID (device ID cookie)', type: 'cookie', pattern: '^[0-9]{38}$', custom: false },
  { code: 'TNTID', name: 'Target ID', type: 'cookie', custom: false },
  { code: 'Email', name: 'Email', type: 'email', custom: false },
  { code: 'Email_LC_SHA256', name: 'Emails (SHA256, lowercased)', type: 'email', pattern: HEX64, custom: false },
  { code: 'Phone', name: 'Phone', type: 'phone', custom: false },
  { code: 'Phone_SHA256', name: 'Phone (SHA256)', type: 'phone', pattern: HEX64, custom: false },
  { code: 'CRMID', name: 'CRM ID', type: 'cross_device', custom: false },
  { code: 'GAID', name: 'Google Advertising ID', type: 'device', custom: false },
  { code: 'IDFA', name: 'Apple IDFA', type: 'device', custom: false },
];

export function standardNamespace(code: string): Namespace | undefined {
  return STANDARD_NAMESPACES.find((n) => n.code === code);
}

export type NormalizedIdentity = { ok: true; value: string } | { ok: false; reason: string };

const compiledPatterns = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = compiledPatterns.get(source);
  if (!re) compiledPatterns.set(source, (re = new RegExp(source)));
  return re;
}

/** Phone numbers: keep a leading `+` and the digits; drop spaces, dots, dashes and brackets. */
export function normalizePhone(raw: string): string {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

/** Applies the namespace's normalization and value rules to one raw identity value. */
export function normalizeIdentity(namespace: Namespace, raw: unknown): NormalizedIdentity {
  if (typeof raw !== 'string') return { ok: false, reason: 'an identity value must be a string' };
  let value = raw.trim();
  if (value.length === 0) return { ok: false, reason: 'an identity value must not be empty' };
  if (namespace.type === 'email') value = value.toLowerCase();
  if (namespace.code === 'Phone') value = normalizePhone(value);
  if (value.length > MAX_IDENTITY_LENGTH) return { ok: false, reason: `an identity value must be at most ${MAX_IDENTITY_LENGTH} characters` };
  if (namespace.code === 'Email' && !/^[^\s@]+@[^\s@]+$/.test(value)) return { ok: false, reason: 'is not an email address' };
  if (namespace.code === 'Phone' && !/^\+?[0-9]{4,15}$/.test(value)) return { ok: false, reason: 'is not a phone number (4 to 15 digits, optional leading +)' };
  if (namespace.pattern && !patternOf(namespace.pattern).test(value)) {
    return { ok: false, reason: namespace.code === 'ECID' ? 'an ECID is exactly 38 digits' : `does not match the ${namespace.code} pattern ${namespace.pattern}` };
  }
  return { ok: true, value };
}

const HASHED: Record<string, string> = { Email: 'Email_LC_SHA256', Phone: 'Phone_SHA256' };

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The hashed namespace and value for an already-normalized Email or Phone identity. */
export function hashedVariant(code: string, normalizedValue: string): { namespace: string; value: string } | undefined {
  const target = HASHED[code];
  if (!target) return undefined;
  const input = code === 'Phone' ? normalizedValue.replace(/^\+/, '') : normalizedValue;
  return { namespace: target, value: sha256Hex(input) };
}

/** Identity types whose identities join graphs; non-people and partner identities never link. */
export function isStitchable(type: IdentityType): boolean {
  return type !== 'non_people' && type !== 'partner';
}
