/**
 * Identity service: namespaces (standard and custom), identity settings (graph limit, unique
 * namespaces, priority), linking a record's identities into the graph, and graph lookups.
 *
 * @example
 *   await identity.link(sandboxId, extracted.identities, { datasetId, at: Date.now() });
 *   const graph = await identity.graphOf(sandboxId, 'Email', 'ann@example.com');
 */
import { problem } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import { identityKey, type IdentityGraph, type IdentityKey } from './graph.ts';
import { DEFAULT_IDENTITY_SETTINGS, linkIdentities, type IdentitySettings, type LinkOutcome, type RecordIdentity } from './linking.ts';
import { isStitchable, normalizeIdentity, standardNamespace, STANDARD_NAMESPACES, type Namespace } from './namespaces.ts';
import type { IdentityStore } from './store.ts';

export interface LinkItem {
  identities: readonly RecordIdentity[];
  datasetId: string;
  at: number;
}

export interface LinkBatchResult {
  /** The person graph of each item ('' for an item without stitchable identities). */
  graphIds: string[];
  outcomes: (LinkOutcome | undefined)[];
  /** Identities whose graph changed (their people need fresh views). */
  changedKeys: Set<IdentityKey>;
}

export class IdentityService {
  private readonly custom = new Map<string, Map<string, Namespace>>();
  private readonly settingsCache = new Map<string, IdentitySettings>();
  private readonly changeListeners: ((sandboxId: string) => void)[] = [];

  constructor(private readonly store: IdentityStore) {}

  /** Told after a sandbox's custom namespaces or identity settings changed (or the sandbox was deleted). */
  onChange(listener: (sandboxId: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(sandboxId: string): void {
    for (const listener of this.changeListeners) listener(sandboxId);
  }

  async namespaces(sandboxId: string): Promise<Namespace[]> {
    return [...STANDARD_NAMESPACES, ...(await this.customNamespaces(sandboxId)).values()];
  }

  /** A namespace resolver for one sandbox, for use in tight loops. */
  async resolver(sandboxId: string): Promise<(code: string) => Namespace | undefined> {
    const custom = await this.customNamespaces(sandboxId);
    return (code) => standardNamespace(code) ?? custom.get(code);
  }

  async createNamespace(sandboxId: string, input: Omit<Namespace, 'custom'>): Promise<Namespace> {
    const custom = await this.customNamespaces(sandboxId);
    if (standardNamespace(input.code) || custom.has(input.code)) throw problem('NAME_TAKEN', `namespace ${input.code} already exists`);
    if (input.pattern) {
      try {
        new RegExp(input.pattern);
      } catch (err) {
        throw problem('BAD_REQUEST', `pattern is not a valid regular expression: ${(err as Error).message}`, { errors: [{ path: 'pattern', message: 'is not a valid regular expression' }] });
      }
    }
    const namespace: Namespace = { ...input, custom: true };
    await this.store.putNamespace(sandboxId, namespace);
    custom.set(namespace.code, namespace);
    this.changed(sandboxId);
    return namespace;
  }

  async settings(sandboxId: string): Promise<IdentitySettings> {
    let settings = this.settingsCache.get(sandboxId);
    if (!settings) {
      settings = (await this.store.getSettings(sandboxId)) ?? DEFAULT_IDENTITY_SETTINGS;
      this.settingsCache.set(sandboxId, settings);
    }
    return settings;
  }

  async updateSettings(sandboxId: string, settings: IdentitySettings): Promise<IdentitySettings> {
    const known = await this.resolver(sandboxId);
    const errors = [...settings.uniqueNamespaces.map((c, i) => ({ c, path: `uniqueNamespaces[${i}]` })), ...settings.priority.map((c, i) => ({ c, path: `priority[${i}]` }))]
      .filter(({ c }) => !known(c))
      .map(({ c, path }) => ({ path, message: `unknown namespace "${c}"` }));
    if (errors.length > 0) throw problem('BAD_REQUEST', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    await this.store.putSettings(sandboxId, settings);
    this.settingsCache.set(sandboxId, settings);
    this.changed(sandboxId);
    return settings;
  }

  /** Links one record's identities; see `linkBatch`. */
  async link(sandboxId: string, identities: readonly RecordIdentity[], context: { datasetId: string; at: number }): Promise<{ graphId: string; outcome?: LinkOutcome }> {
    const result = await this.linkBatch(sandboxId, [{ identities, ...context }]);
    return { graphId: result.graphIds[0], ...(result.outcomes[0] ? { outcome: result.outcomes[0] } : {}) };
  }

  /**
   * Links the identities of many records, in order, and saves every changed graph in one write.
   * A record whose identities are all already in one graph (the common case: a returning device)
   * costs a lookup per identity and no write.
   */
  async linkBatch(sandboxId: string, items: readonly LinkItem[], knownSettings?: IdentitySettings): Promise<LinkBatchResult> {
    // A projector in a worker thread passes the settings it was planned with (this instance's cache could be stale there).
    const settings = knownSettings ?? (await this.settings(sandboxId));
    const graphOfKey = new Map<IdentityKey, string | null>();
    const graphs = new Map<string, IdentityGraph>();
    const changed = new Set<string>();
    const deleted = new Set<string>();
    const changedKeys = new Set<IdentityKey>();
    const created = new Set<string>();
    const newGraphId = () => {
      const id = newId('prs');
      created.add(id);
      return id;
    };
    const result: LinkBatchResult = { graphIds: [], outcomes: [], changedKeys };

    // Every key of the batch looked up at once (one read transaction), before any record is linked;
    // what linking changes later is kept in graphOfKey as it goes.
    const stitchables = items.map((item) => item.identities.filter((i) => isStitchable(i.type)));
    const keysOfBatch = [...new Set(stitchables.flatMap((identities) => identities.map((i) => i.key)))];
    const found = await this.store.graphIdsOf(sandboxId, keysOfBatch);
    for (const k of keysOfBatch) graphOfKey.set(k, found.get(k) ?? null);

    for (const [n, item] of items.entries()) {
      const stitchable = stitchables[n];
      if (stitchable.length === 0) {
        result.graphIds.push('');
        result.outcomes.push(undefined);
        continue;
      }
      const keys = stitchable.map((i) => i.key);
      const ids = [...new Set(keys.map((k) => graphOfKey.get(k)).filter((g): g is string => typeof g === 'string'))];
      // Every identity already in one graph: nothing can change (links inside a graph add no member).
      if (ids.length === 1 && keys.every((k) => graphOfKey.get(k) === ids[0])) {
        result.graphIds.push(ids[0]);
        result.outcomes.push(undefined);
        continue;
      }
      const unloaded = ids.filter((id) => !graphs.has(id));
      for (const g of await this.store.loadGraphs(sandboxId, unloaded)) graphs.set(g.id, g);
      const outcome = linkIdentities(
        ids.map((id) => graphs.get(id)!),
        stitchable,
        { at: item.at, datasetId: item.datasetId, settings, newGraphId },
      );
      for (const id of outcome.deleted) {
        graphs.delete(id);
        changed.delete(id);
        deleted.add(id);
      }
      for (const g of outcome.graphs) {
        graphs.set(g.id, g);
        changed.add(g.id);
        deleted.delete(g.id);
        for (const k of g.nodes.keys()) {
          graphOfKey.set(k, g.id);
          changedKeys.add(k);
        }
      }
      result.graphIds.push(outcome.personGraphId);
      result.outcomes.push(outcome);
    }
    if (changed.size > 0 || deleted.size > 0) {
      await this.store.saveGraphs(sandboxId, [...changed].map((id) => graphs.get(id)!), [...deleted], created);
    }
    return result;
  }

  /** The graph holding an identity (normalized by its namespace first), or undefined. */
  async graphOf(sandboxId: string, namespace: string, value: string): Promise<IdentityGraph | undefined> {
    const key = await this.keyOf(sandboxId, namespace, value);
    const graphId = (await this.store.graphIdsOf(sandboxId, [key])).get(key);
    if (!graphId) return undefined;
    return (await this.store.loadGraphs(sandboxId, [graphId]))[0];
  }

  /** Graphs by id (a merged profile's id is its graph's id), e.g. to list a member's identities. */
  graphsById(sandboxId: string, graphIds: readonly string[]): Promise<IdentityGraph[]> {
    return this.store.loadGraphs(sandboxId, graphIds);
  }

  /** The graph id of each of `keys` (stored, normalized keys) that belongs to a graph. */
  graphIdsOf(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<IdentityKey, string>> {
    return this.store.graphIdsOf(sandboxId, keys);
  }

  /** The identity keys of each existing graph among `graphIds`, without links. */
  graphKeys(sandboxId: string, graphIds: readonly string[]): Promise<Map<string, IdentityKey[]>> {
    return this.store.graphKeys(sandboxId, graphIds);
  }

  /** Normalizes a looked-up identity the same way ingested ones are. */
  async keyOf(sandboxId: string, namespace: string, value: string): Promise<IdentityKey> {
    const ns = (await this.resolver(sandboxId))(namespace);
    if (!ns) throw problem('BAD_REQUEST', `unknown identity namespace "${namespace}"`, { errors: [{ path: 'identity', message: `unknown namespace "${namespace}"` }] });
    const normalized = normalizeIdentity(ns, value);
    if (!normalized.ok) throw problem('BAD_REQUEST', `${namespace} identity ${normalized.reason}`, { errors: [{ path: 'identity', message: normalized.reason }] });
    return identityKey(ns.code, normalized.value);
  }

  deleteIdentities(sandboxId: string, keys: readonly IdentityKey[]) {
    return this.store.deleteIdentities(sandboxId, keys);
  }

  stats(sandboxId: string) {
    return this.store.countGraphs(sandboxId);
  }

  async deleteSandbox(sandboxId: string) {
    this.custom.delete(sandboxId);
    this.settingsCache.delete(sandboxId);
    await this.store.deleteSandbox(sandboxId);
    this.changed(sandboxId);
  }

  private async customNamespaces(sandboxId: string): Promise<Map<string, Namespace>> {
    let map = this.custom.get(sandboxId);
    if (!map) {
      map = new Map((await this.store.listCustomNamespaces(sandboxId)).map((n) => [n.code, n]));
      this.custom.set(sandboxId, map);
    }
    return map;
  }
}
