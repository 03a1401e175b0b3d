/**
 * Reads the identities a record carries: its `identityMap` and the fields its schema marks as
 * identities. Values are normalized by namespace; a value that breaks its namespace's rules is
 * reported with the reason while the record's other identities still count.
 *
 * @example
 *   extractIdentities({ identityMap: { Email: [{ id: 'Ann@x.com', primary: true }] } }, [], resolve)
 *   // { identities: [{ namespace: 'Email', value: 'ann@x.com', primary: true, ... }], errors: [] }
 */
import type { FieldError } from '../errors.ts';
import type { IdentityDescriptor } from '../schema/model.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../storage/json.ts';
import { identityKey } from './graph.ts';
import type { RecordIdentity } from './linking.ts';
import { normalizeIdentity, type Namespace } from './namespaces.ts';

export interface ExtractedIdentity extends RecordIdentity {
  primary: boolean;
  authenticatedState?: string;
}

export interface ExtractedIdentities {
  identities: ExtractedIdentity[];
  errors: FieldError[];
}

/** Max identities read from one record (the rest are reported). */
export const MAX_IDENTITIES_PER_RECORD = 20;

function valueAt(record: JsonObject, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = record;
  for (const part of path.split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

export function extractIdentities(
  record: JsonObject,
  descriptors: readonly IdentityDescriptor[],
  resolveNamespace: (code: string) => Namespace | undefined,
): ExtractedIdentities {
  const identities: ExtractedIdentity[] = [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const add = (code: string, raw: unknown, path: string, primary: boolean, authenticatedState?: string) => {
    const namespace = resolveNamespace(code);
    if (!namespace) {
      errors.push({ path, message: `unknown identity namespace "${code}"` });
      return;
    }
    const normalized = normalizeIdentity(namespace, raw);
    if (!normalized.ok) {
      errors.push({ path, message: `${namespace.code} identity ${normalized.reason}` });
      return;
    }
    const key = identityKey(namespace.code, normalized.value);
    if (seen.has(key)) {
      if (primary) for (const i of identities) if (i.key === key) i.primary = true;
      return;
    }
    if (identities.length >= MAX_IDENTITIES_PER_RECORD) {
      errors.push({ path, message: `a record carries at most ${MAX_IDENTITIES_PER_RECORD} identities; this one was ignored` });
      return;
    }
    seen.add(key);
    identities.push({ key, namespace: namespace.code, value: normalized.value, type: namespace.type, primary, ...(authenticatedState ? { authenticatedState } : {}) });
  };

  for (const descriptor of descriptors) {
    const raw = valueAt(record, descriptor.path);
    if (raw !== undefined && raw !== null && raw !== '') add(descriptor.namespace, raw, descriptor.path, descriptor.primary === true);
  }
  const map = record.identityMap;
  if (isJsonObject(map)) {
    for (const [code, items] of Object.entries(map)) {
      if (!Array.isArray(items)) continue;
      items.forEach((item, i) => {
        if (!isJsonObject(item)) return;
        const state = typeof item.authenticatedState === 'string' ? item.authenticatedState : undefined;
        add(code, item.id, `identityMap.${code}[${i}].id`, item.primary === true, state);
      });
    }
  }
  return { identities, errors };
}
