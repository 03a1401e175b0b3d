/**
 * Merging profile fragments into one set of attributes under a merge policy. Pure.
 *
 * @example
 *   mergeFragments([{ datasetId: 'crm', updatedAt: 1, attributes: { loyalty: { tier: 'silver' } } },
 *                   { datasetId: 'app', updatedAt: 2, attributes: { loyalty: { tier: 'gold' } } }], policy)
 *   // { loyalty: { tier: 'gold' } } under timestampOrdered
 */
import { isJsonObject, type JsonObject } from '../storage/json.ts';
import type { MergePolicy } from './merge-policy.ts';

export interface ProfileFragment {
  /** `namespace␀value` of the identity the fragment belongs to. */
  identity: string;
  datasetId: string;
  /** When the fragment last changed (record timestamp, else ingestion time), epoch ms. */
  updatedAt: number;
  attributes: JsonObject;
}

/** Deep-merges `source` into `target` (objects merge, everything else is replaced); returns target. */
export function deepMerge(target: JsonObject, source: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isJsonObject(value) && isJsonObject(current)) deepMerge(current, value);
    else target[key] = isJsonObject(value) ? deepMerge({}, value) : value;
  }
  return target;
}

/** The order fragments are applied in: the last applied wins each attribute. */
export function orderFragments(fragments: readonly ProfileFragment[], policy: Pick<MergePolicy, 'attributeMerge'>): ProfileFragment[] {
  if (policy.attributeMerge.type === 'dataSetPrecedence') {
    const order = policy.attributeMerge.order ?? [];
    const rank = new Map(order.map((id, i) => [id, i]));
    return fragments
      .filter((f) => rank.has(f.datasetId))
      .sort((a, b) => rank.get(b.datasetId)! - rank.get(a.datasetId)! || a.updatedAt - b.updatedAt);
  }
  return [...fragments].sort((a, b) => a.updatedAt - b.updatedAt || (a.datasetId < b.datasetId ? -1 : a.datasetId > b.datasetId ? 1 : 0));
}

export function mergeFragments(fragments: readonly ProfileFragment[], policy: Pick<MergePolicy, 'attributeMerge'>, options: { owned?: boolean } = {}): JsonObject {
  const ordered = orderFragments(fragments, policy);
  // Fragments the caller owns (freshly read) need no copy when one alone applies.
  if (options.owned && ordered.length === 1) return ordered[0].attributes;
  const merged: JsonObject = {};
  for (const fragment of ordered) deepMerge(merged, fragment.attributes);
  return merged;
}
