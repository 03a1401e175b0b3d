/**
 * Linking rules: what happens to the graphs a record touches. The record's identities are linked
 * together; graphs merge unless that would put two values of a unique namespace (e.g. two CRMIDs)
 * in one person, in which case the record's identities leave their old graph for the person the
 * record names (on a shared device, the device follows the last authenticated person). A full graph
 * sheds identities by type priority, then oldest first. Pure: no I/O.
 *
 * @example
 *   const out = linkIdentities(touchedGraphs, recordIdentities, { at: Date.now(), datasetId: 'ds_1', settings, newGraphId });
 *   out.graphs;   // graphs to save (changed or new)
 *   out.deleted;  // graph ids that were absorbed
 */
import type { IdentityType } from './namespaces.ts';
import { components, emptyGraph, linkKey, type GraphNode, type IdentityGraph, type IdentityKey } from './graph.ts';

export interface IdentitySettings {
  /** Most identities one graph may hold; when full, identities are removed by the removal rule. */
  graphLimit: number;
  /** Namespaces of which a person has at most one value (e.g. CRMID). */
  uniqueNamespaces: string[];
  /** Namespace codes from highest to lowest priority; unlisted ones rank by identity type. */
  priority: string[];
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  graphLimit: 50,
  uniqueNamespaces: ['CRMID'],
  priority: ['CRMID', 'Email', 'Phone', 'Email_LC_SHA256', 'Phone_SHA256', 'IDFA', 'GAID', 'ECID', 'TNTID'],
};

/** Removal order when a graph is full: lower rank goes first. */
const REMOVAL_RANK: Record<IdentityType, number> = { partner: 0, non_people: 0, cookie: 1, device: 2, cross_device: 3, email: 3, phone: 3 };
/** Priority by type for namespaces not in the settings list: person outranks device outranks cookie. */
const TYPE_PRIORITY: Record<IdentityType, number> = { cross_device: 6, email: 5, phone: 4, device: 3, cookie: 2, partner: 1, non_people: 0 };

export interface RecordIdentity {
  key: IdentityKey;
  namespace: string;
  value: string;
  type: IdentityType;
}

export interface LinkContext {
  at: number;
  datasetId: string;
  settings: IdentitySettings;
  newGraphId: () => string;
}

export interface LinkOutcome {
  /** Graphs to write (all of their nodes and links). */
  graphs: IdentityGraph[];
  /** Graph ids that no longer exist (absorbed into another). */
  deleted: string[];
  /** The graph the record's identities now belong to. */
  personGraphId: string;
  /** Identities removed from a full graph (they stay as identities on their own). */
  evicted: IdentityKey[];
  /** Identities of the record that were not linked, with the reason. */
  refused: { key: IdentityKey; reason: string }[];
}

/** Sort key: smaller is higher priority. */
export function priorityOf(namespace: string, type: IdentityType, settings: IdentitySettings): number {
  const i = settings.priority.indexOf(namespace);
  return i >= 0 ? i : settings.priority.length + (10 - TYPE_PRIORITY[type]);
}

function uniqueValues(graph: IdentityGraph, unique: Set<string>): Map<string, string> {
  const values = new Map<string, string>();
  for (const node of graph.nodes.values()) if (unique.has(node.namespace)) values.set(node.namespace, node.value);
  return values;
}

function compatible(a: IdentityGraph, b: IdentityGraph, unique: Set<string>): boolean {
  const left = uniqueValues(a, unique);
  for (const [ns, value] of uniqueValues(b, unique)) {
    const other = left.get(ns);
    if (other !== undefined && other !== value) return false;
  }
  return true;
}

function absorb(into: IdentityGraph, from: IdentityGraph) {
  for (const [key, node] of from.nodes) if (!into.nodes.has(key)) into.nodes.set(key, node);
  into.links.push(...from.links);
}

/** Removes an identity and its links from a graph, returning the node. */
function detach(graph: IdentityGraph, key: IdentityKey): GraphNode | undefined {
  const node = graph.nodes.get(key);
  graph.nodes.delete(key);
  graph.links = graph.links.filter((l) => l.a !== key && l.b !== key);
  return node;
}

function cloneGraph(g: IdentityGraph): IdentityGraph {
  return { id: g.id, nodes: new Map(g.nodes), links: g.links.map((l) => ({ ...l })) };
}

export function linkIdentities(touched: readonly IdentityGraph[], recordIdentities: readonly RecordIdentity[], ctx: LinkContext): LinkOutcome {
  const { settings, at } = ctx;
  const unique = new Set(settings.uniqueNamespaces);
  const refused: LinkOutcome['refused'] = [];

  // One record names at most one value of each unique namespace; the first one wins.
  const seenUnique = new Map<string, string>();
  const byKey = new Map<IdentityKey, RecordIdentity>();
  for (const identity of recordIdentities) {
    if (byKey.has(identity.key)) continue;
    if (unique.has(identity.namespace)) {
      const earlier = seenUnique.get(identity.namespace);
      if (earlier !== undefined && earlier !== identity.value) {
        refused.push({ key: identity.key, reason: `a record may carry one ${identity.namespace}; "${earlier}" came first` });
        continue;
      }
      seenUnique.set(identity.namespace, identity.value);
    }
    byKey.set(identity.key, identity);
  }
  const record = [...byKey.values()].sort((x, y) => priorityOf(x.namespace, x.type, settings) - priorityOf(y.namespace, y.type, settings));
  if (record.length === 0) return { graphs: [], deleted: [], personGraphId: '', evicted: [], refused };

  const graphOf = new Map<IdentityKey, IdentityGraph>();
  const working = new Map<string, IdentityGraph>();
  for (const g of touched) {
    const copy = cloneGraph(g);
    working.set(copy.id, copy);
    for (const key of copy.nodes.keys()) graphOf.set(key, copy);
  }

  // The person is the graph of the record's highest-priority known identity that agrees with the
  // record's unique identities (same CRMID or none), or a new graph.
  const recordUnique = new Map(record.filter((r) => unique.has(r.namespace)).map((r) => [r.namespace, r.value]));
  const agreesWithRecord = (g: IdentityGraph) => [...uniqueValues(g, unique)].every(([ns, v]) => (recordUnique.get(ns) ?? v) === v);
  const anchorSource = record.map((r) => graphOf.get(r.key)).find((g) => g !== undefined && agreesWithRecord(g));
  const person = anchorSource ?? emptyGraph(ctx.newGraphId());
  working.set(person.id, person);
  const deleted: string[] = [];
  const changed = new Set<string>([person.id]);

  for (const identity of record) {
    if (!graphOf.has(identity.key)) {
      // Written out, not `{ ...identity, firstSeen, lastSeen }`: on Node 20 a spread followed by
      // properties the source lacks takes V8's slow path (~2 µs per object against ~0.01 µs).
      person.nodes.set(identity.key, { key: identity.key, namespace: identity.namespace, value: identity.value, type: identity.type, firstSeen: at, lastSeen: at });
      graphOf.set(identity.key, person);
    }
  }
  for (const identity of record) {
    const home = graphOf.get(identity.key)!;
    if (home === person) continue;
    if (compatible(person, home, unique)) {
      absorb(person, home);
      for (const key of home.nodes.keys()) graphOf.set(key, person);
      working.delete(home.id);
      deleted.push(home.id);
    } else {
      // The record names another person: this identity leaves its old graph (most recent link wins).
      const node = detach(home, identity.key)!;
      person.nodes.set(identity.key, { ...node, firstSeen: at });
      graphOf.set(identity.key, person);
      changed.add(home.id);
    }
  }

  // Link the record's identities to its highest-priority identity (a star keeps them connected).
  const hub = record[0].key;
  const existing = new Map(person.links.map((l) => [linkKey(l.a, l.b), l]));
  for (const identity of record.slice(1)) {
    const link = existing.get(linkKey(hub, identity.key));
    if (link) link.lastSeen = at;
    else person.links.push({ a: hub, b: identity.key, datasetId: ctx.datasetId, createdAt: at, lastSeen: at });
  }
  for (const identity of record) {
    const node = person.nodes.get(identity.key);
    if (node) person.nodes.set(identity.key, { ...node, lastSeen: at });
  }

  // A full graph sheds identities not in this record: lowest type rank first, then oldest.
  const evicted: GraphNode[] = [];
  if (person.nodes.size > settings.graphLimit) {
    const candidates = [...person.nodes.values()]
      .filter((n) => !byKey.has(n.key))
      .sort((x, y) => REMOVAL_RANK[x.type] - REMOVAL_RANK[y.type] || x.firstSeen - y.firstSeen || (x.key < y.key ? -1 : 1));
    for (const node of candidates) {
      if (person.nodes.size <= settings.graphLimit) break;
      detach(person, node.key);
      evicted.push(node);
    }
  }

  const graphs: IdentityGraph[] = [];
  for (const id of changed) {
    const g = working.get(id);
    if (!g) continue;
    if (g.nodes.size === 0) {
      if (g !== person && touched.some((t) => t.id === g.id)) deleted.push(g.id);
      continue;
    }
    graphs.push(...components(g, ctx.newGraphId, g === person ? hub : undefined));
  }
  for (const node of evicted) graphs.push({ id: ctx.newGraphId(), nodes: new Map([[node.key, { ...node, firstSeen: at }]]), links: [] });
  return { graphs, deleted, personGraphId: person.id, evicted: evicted.map((n) => n.key), refused };
}
