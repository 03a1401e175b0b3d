/**
 * Destination identities from a profile's identities: the selected namespaces, hashed when asked
 * as the suite does it (§7.4): trim, lower-case emails, phones as digits with country code, then
 * SHA-256, hex lower-case, no salt. Pure.
 *
 * @example
 *   destinationIdentities([{ namespace: 'Email', id: ' Ann@Example.com' }], [{ namespace: 'Email', hashed: true, field: 'Email_LC_SHA256' }])
 *   // { Email_LC_SHA256: ['<sha256 of ann@example.com>'] }
 */
import { normalizePhone, sha256Hex } from '../identity/namespaces.ts';

export interface SelectedIdentity {
  namespace: string;
  hashed: boolean;
  field: string;
}

const ALREADY_HASHED = new Set(['Email_LC_SHA256', 'Phone_SHA256']);

/** The field a selected namespace is sent as. */
export function identityField(namespace: string, hashed: boolean): string {
  if (!hashed || ALREADY_HASHED.has(namespace)) return namespace;
  if (namespace === 'Email') return 'Email_LC_SHA256';
  if (namespace === 'Phone') return 'Phone_SHA256';
  return `${namespace}_SHA256`;
}

/** SHA-256 (hex, lower-case) of a value normalized for its namespace. */
export function hashIdentity(namespace: string, value: string): string {
  const trimmed = value.trim();
  if (namespace === 'Email') return sha256Hex(trimmed.toLowerCase());
  if (namespace === 'Phone') return sha256Hex(normalizePhone(trimmed).replace(/^\+/, ''));
  return sha256Hex(trimmed);
}

export function destinationIdentities(identities: readonly { namespace: string; id: string }[], selected: readonly SelectedIdentity[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of selected) {
    const values = identities.filter((i) => i.namespace === s.namespace).map((i) => (s.hashed && !ALREADY_HASHED.has(s.namespace) ? hashIdentity(s.namespace, i.id) : i.id));
    if (values.length === 0) continue;
    const list = (out[s.field] ??= []);
    for (const v of values) if (!list.includes(v)) list.push(v);
  }
  return out;
}
