/** Embedded (SQLite) implementation of the identity store: nodes and links keyed by graph. */
import { multiRowWriter } from '../storage/multi-row.ts';
import { migrate, prepared, readEach, readTogether, type SqliteDatabase } from '../storage/sqlite.ts';
import { identityKey, type IdentityGraph, type IdentityKey } from './graph.ts';
import type { IdentitySettings } from './linking.ts';
import type { IdentityType, Namespace } from './namespaces.ts';
import type { IdentityStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE identity_namespaces (sandbox_id TEXT NOT NULL, code TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, code));
   CREATE TABLE identity_settings (sandbox_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE identity_nodes (sandbox_id TEXT NOT NULL, ns TEXT NOT NULL, value TEXT NOT NULL, graph_id TEXT NOT NULL,
     type TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (sandbox_id, ns, value)) WITHOUT ROWID;
   CREATE INDEX identity_nodes_graph ON identity_nodes (sandbox_id, graph_id);
   CREATE TABLE identity_links (sandbox_id TEXT NOT NULL, graph_id TEXT NOT NULL, a_ns TEXT NOT NULL, a_value TEXT NOT NULL,
     b_ns TEXT NOT NULL, b_value TEXT NOT NULL, dataset_id TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);
   CREATE INDEX identity_links_graph ON identity_links (sandbox_id, graph_id);`,
];

interface NodeRow {
  ns: string;
  value: string;
  graph_id: string;
  type: IdentityType;
  first_seen: number;
  last_seen: number;
}
interface LinkRow {
  graph_id: string;
  a_ns: string;
  a_value: string;
  b_ns: string;
  b_value: string;
  dataset_id: string;
  created_at: number;
  last_seen: number;
}

export class SqliteIdentityStore implements IdentityStore {
  private readonly findNode;
  private readonly save;
  private readonly nodesOf;
  private readonly linksOf;
  private readonly keysOfGraphs;
  private readonly keysOfGraph;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'identity', MIGRATIONS);
    this.nodesOf = db.prepare('SELECT * FROM identity_nodes INDEXED BY identity_nodes_graph WHERE sandbox_id = ? AND graph_id = ?');
    this.linksOf = db.prepare('SELECT * FROM identity_links WHERE sandbox_id = ? AND graph_id = ?');
    // Covered by identity_nodes_graph (its entries end with the primary key): no table reads.
    this.keysOfGraphs = db
      .prepare('SELECT graph_id, ns, value FROM identity_nodes INDEXED BY identity_nodes_graph WHERE sandbox_id = ? AND graph_id IN (SELECT value FROM json_each(?))')
      .raw(true);
    this.keysOfGraph = db.prepare('SELECT ns, value FROM identity_nodes INDEXED BY identity_nodes_graph WHERE sandbox_id = ? AND graph_id = ?').raw(true);
    this.findNode = db.prepare('SELECT graph_id FROM identity_nodes WHERE sandbox_id = ? AND ns = ? AND value = ?').pluck();
    const delNodes = db.prepare('DELETE FROM identity_nodes INDEXED BY identity_nodes_graph WHERE sandbox_id = ? AND graph_id = ?');
    const delLinks = db.prepare('DELETE FROM identity_links WHERE sandbox_id = ? AND graph_id = ?');
    // A slice of new people writes hundreds of nodes and links: multi-row statements, not a call per row.
    const putNodes = multiRowWriter(
      db,
      'INSERT INTO identity_nodes (sandbox_id, ns, value, graph_id, type, first_seen, last_seen)',
      7,
      `ON CONFLICT (sandbox_id, ns, value) DO UPDATE SET graph_id = excluded.graph_id, type = excluded.type,
         first_seen = excluded.first_seen, last_seen = excluded.last_seen`,
    );
    const putLinks = multiRowWriter(db, 'INSERT INTO identity_links (sandbox_id, graph_id, a_ns, a_value, b_ns, b_value, dataset_id, created_at, last_seen)', 9);
    this.save = db.transaction((sandboxId: string, graphs: readonly IdentityGraph[], deleted: readonly string[], created: ReadonlySet<string> | undefined) => {
      for (const id of deleted) {
        delNodes.run(sandboxId, id);
        delLinks.run(sandboxId, id);
      }
      const nodes: unknown[][] = [];
      const links: unknown[][] = [];
      for (const g of graphs) {
        if (!created?.has(g.id)) delLinks.run(sandboxId, g.id);
        for (const n of g.nodes.values()) nodes.push([sandboxId, n.namespace, n.value, g.id, n.type, n.firstSeen, n.lastSeen]);
        for (const l of g.links) {
          const a = g.nodes.get(l.a)!;
          const b = g.nodes.get(l.b)!;
          links.push([sandboxId, g.id, a.namespace, a.value, b.namespace, b.value, l.datasetId, l.createdAt, l.lastSeen]);
        }
      }
      putNodes(nodes);
      putLinks(links);
    });
  }

  async listCustomNamespaces(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT doc FROM identity_namespaces WHERE sandbox_id = ? ORDER BY code').all(sandboxId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Namespace);
  }

  async putNamespace(sandboxId: string, namespace: Namespace) {
    prepared(this.db, 'INSERT INTO identity_namespaces (sandbox_id, code, doc) VALUES (?, ?, ?) ON CONFLICT (sandbox_id, code) DO UPDATE SET doc = excluded.doc')
      .run(sandboxId, namespace.code, JSON.stringify(namespace));
  }

  async getSettings(sandboxId: string) {
    const doc = prepared(this.db, 'SELECT doc FROM identity_settings WHERE sandbox_id = ?').pluck().get(sandboxId) as string | undefined;
    return doc ? (JSON.parse(doc) as IdentitySettings) : undefined;
  }

  async putSettings(sandboxId: string, settings: IdentitySettings) {
    prepared(this.db, 'INSERT INTO identity_settings (sandbox_id, doc) VALUES (?, ?) ON CONFLICT (sandbox_id) DO UPDATE SET doc = excluded.doc')
      .run(sandboxId, JSON.stringify(settings));
  }

  async graphIdsOf(sandboxId: string, keys: readonly IdentityKey[]) {
    const out = new Map<IdentityKey, string>();
    // One point read per key (a JSON IN-list cost more per key), all in one read transaction.
    readEach(this.db, keys, (key) => {
      const i = key.indexOf('\u0000');
      const graphId = this.findNode.get(sandboxId, key.slice(0, i), key.slice(i + 1)) as string | undefined;
      if (graphId) out.set(key, graphId);
    });
    return out;
  }

  async loadGraphs(sandboxId: string, graphIds: readonly string[]) {
    const { nodesOf, linksOf } = this;
    return readTogether(this.db, () => graphIds.map((id): IdentityGraph => {
      const nodes = (nodesOf.all(sandboxId, id) as NodeRow[]).map((r) => ({
        key: identityKey(r.ns, r.value),
        namespace: r.ns,
        value: r.value,
        type: r.type,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
      }));
      const links = (linksOf.all(sandboxId, id) as LinkRow[]).map((r) => ({
        a: identityKey(r.a_ns, r.a_value),
        b: identityKey(r.b_ns, r.b_value),
        datasetId: r.dataset_id,
        createdAt: r.created_at,
        lastSeen: r.last_seen,
      }));
      return { id, nodes: new Map(nodes.map((n) => [n.key, n])), links };
    }));
  }

  async graphKeys(sandboxId: string, graphIds: readonly string[]) {
    const out = new Map<string, IdentityKey[]>();
    if (graphIds.length === 0) return out;
    if (graphIds.length === 1) {
      // One person (profile reads, the edge): a point read, no JSON list.
      const keys = (this.keysOfGraph.all(sandboxId, graphIds[0]) as [string, string][]).map(([ns, value]) => identityKey(ns, value));
      if (keys.length > 0) out.set(graphIds[0], keys);
      return out;
    }
    for (const [graphId, ns, value] of this.keysOfGraphs.all(sandboxId, JSON.stringify(graphIds)) as [string, string, string][]) {
      const key = identityKey(ns, value);
      const keys = out.get(graphId);
      if (keys) keys.push(key);
      else out.set(graphId, [key]);
    }
    return out;
  }

  async saveGraphs(sandboxId: string, graphs: readonly IdentityGraph[], deleted: readonly string[], created?: ReadonlySet<string>) {
    this.save.immediate(sandboxId, graphs, deleted, created); // IMMEDIATE: see profile/sqlite-store.ts apply()
  }

  async deleteIdentities(sandboxId: string, keys: readonly IdentityKey[]) {
    const delNode = prepared(this.db, 'DELETE FROM identity_nodes WHERE sandbox_id = ? AND ns = ? AND value = ?');
    const delLinks = prepared(
      this.db,
      'DELETE FROM identity_links WHERE sandbox_id = ? AND ((a_ns = ? AND a_value = ?) OR (b_ns = ? AND b_value = ?))',
    );
    this.db.transaction(() => {
      for (const key of keys) {
        const i = key.indexOf('\u0000');
        const ns = key.slice(0, i);
        const value = key.slice(i + 1);
        delNode.run(sandboxId, ns, value);
        delLinks.run(sandboxId, ns, value, ns, value);
      }
    })();
  }

  async countGraphs(sandboxId: string) {
    const row = prepared(this.db, 'SELECT count(DISTINCT graph_id) AS graphs, count(*) AS identities FROM identity_nodes WHERE sandbox_id = ?')
      .get(sandboxId) as { graphs: number; identities: number };
    return row;
  }

  async deleteSandbox(sandboxId: string) {
    for (const table of ['identity_namespaces', 'identity_settings', 'identity_nodes', 'identity_links']) {
      prepared(this.db, `DELETE FROM ${table} WHERE sandbox_id = ?`).run(sandboxId);
    }
  }
}
