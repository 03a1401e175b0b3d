/**
 * The identity graph as data: nodes (identities), links (made when one record carried identities
 * together), and the pure operations on it. No I/O here; the store loads and saves graphs.
 */
import type { IdentityType } from './namespaces.ts';

/** `namespace␀value`: the key of an identity everywhere in this domain. */
export type IdentityKey = string;

export function identityKey(namespace: string, value: string): IdentityKey {
  return `${namespace}\u0000${value}`;
}

export function splitIdentityKey(key: IdentityKey): { namespace: string; value: string } {
  const i = key.indexOf('\u0000');
  return { namespace: key.slice(0, i), value: key.slice(i + 1) };
}

/** The profile id of a person who is one identity without a graph (no stitching, or never linked): `namespace:value`. */
export function soloProfileId(key: IdentityKey): string {
  const { namespace, value } = splitIdentityKey(key);
  return `${namespace}:${value}`;
}

/** The identity of a `namespace:value` profile id; undefined for a graph id. */
export function soloProfileIdentity(profileId: string): IdentityKey | undefined {
  const colon = profileId.indexOf(':');
  return colon > 0 ? identityKey(profileId.slice(0, colon), profileId.slice(colon + 1)) : undefined;
}

export interface GraphNode {
  key: IdentityKey;
  namespace: string;
  value: string;
  type: IdentityType;
  /** When the identity first joined this graph (epoch ms): the removal order when the graph is full. */
  firstSeen: number;
  lastSeen: number;
}

export interface GraphLink {
  a: IdentityKey;
  b: IdentityKey;
  datasetId: string;
  createdAt: number;
  lastSeen: number;
}

export interface IdentityGraph {
  id: string;
  nodes: Map<IdentityKey, GraphNode>;
  links: GraphLink[];
}

export function emptyGraph(id: string): IdentityGraph {
  return { id, nodes: new Map(), links: [] };
}

export function linkKey(a: IdentityKey, b: IdentityKey): string {
  return a < b ? `${a}\u0001${b}` : `${b}\u0001${a}`;
}

/** Splits a graph into its connected components; the component holding `keep` (or the largest) keeps the id. */
export function components(graph: IdentityGraph, newId: () => string, keep?: IdentityKey): IdentityGraph[] {
  const adjacency = new Map<IdentityKey, IdentityKey[]>();
  for (const key of graph.nodes.keys()) adjacency.set(key, []);
  for (const link of graph.links) {
    adjacency.get(link.a)?.push(link.b);
    adjacency.get(link.b)?.push(link.a);
  }
  const seen = new Set<IdentityKey>();
  const parts: Set<IdentityKey>[] = [];
  for (const start of graph.nodes.keys()) {
    if (seen.has(start)) continue;
    const part = new Set<IdentityKey>([start]);
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      for (const next of adjacency.get(stack.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          part.add(next);
          stack.push(next);
        }
      }
    }
    parts.push(part);
  }
  if (parts.length <= 1) return [graph];
  let keeper = keep !== undefined ? parts.findIndex((p) => p.has(keep)) : -1;
  if (keeper < 0) keeper = parts.reduce((best, p, i) => (p.size > parts[best].size ? i : best), 0);
  return parts.map((part, i) => ({
    id: i === keeper ? graph.id : newId(),
    nodes: new Map([...part].map((k) => [k, graph.nodes.get(k)!])),
    links: graph.links.filter((l) => part.has(l.a)),
  }));
}
