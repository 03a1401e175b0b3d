/** Storage interface of the identity domain; the embedded implementation is `sqlite-store.ts`. */
import type { IdentityGraph, IdentityKey } from './graph.ts';
import type { IdentitySettings } from './linking.ts';
import type { Namespace } from './namespaces.ts';

export interface IdentityStore {
  listCustomNamespaces(sandboxId: string): Promise<Namespace[]>;
  putNamespace(sandboxId: string, namespace: Namespace): Promise<void>;

  getSettings(sandboxId: string): Promise<IdentitySettings | undefined>;
  putSettings(sandboxId: string, settings: IdentitySettings): Promise<void>;

  /** The graph id of each known identity among `keys`. */
  graphIdsOf(sandboxId: string, keys: readonly IdentityKey[]): Promise<Map<IdentityKey, string>>;
  loadGraphs(sandboxId: string, graphIds: readonly string[]): Promise<IdentityGraph[]>;
  /** The identity keys of each graph among `graphIds` that has any (no links): how bulk readers assemble many people at once. */
  graphKeys(sandboxId: string, graphIds: readonly string[]): Promise<Map<string, IdentityKey[]>>;
  /**
   * Replaces the nodes and links of `graphs` and removes `deleted` graphs, in one transaction.
   * Graphs listed in `created` were never saved before, so there is nothing of theirs to replace.
   */
  saveGraphs(sandboxId: string, graphs: readonly IdentityGraph[], deleted: readonly string[], created?: ReadonlySet<string>): Promise<void>;
  /** Removes identities from the graph entirely (privacy delete). */
  deleteIdentities(sandboxId: string, keys: readonly IdentityKey[]): Promise<void>;
  countGraphs(sandboxId: string): Promise<{ graphs: number; identities: number }>;
  deleteSandbox(sandboxId: string): Promise<void>;
}
