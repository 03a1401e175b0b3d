/** Embedded (SQLite) implementation of the governance store: one JSON document per object, by kind. */
import { migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { GovernanceLabel, MarketingAction, Policy, PolicyStatus } from './model.ts';
import type { GovernanceStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE governance_objects (sandbox_id TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, kind, id));`,
];

type Kind = 'label' | 'action' | 'policy' | 'coreStatus';

export class SqliteGovernanceStore implements GovernanceStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'governance', MIGRATIONS);
  }

  private list<T>(sandboxId: string, kind: Kind): T[] {
    const docs = prepared(this.db, 'SELECT doc FROM governance_objects WHERE sandbox_id = ? AND kind = ? ORDER BY id').pluck().all(sandboxId, kind) as string[];
    return docs.map((d) => JSON.parse(d) as T);
  }

  private put(sandboxId: string, kind: Kind, id: string, doc: unknown): void {
    prepared(this.db, 'INSERT INTO governance_objects (sandbox_id, kind, id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (sandbox_id, kind, id) DO UPDATE SET doc = excluded.doc').run(
      sandboxId,
      kind,
      id,
      JSON.stringify(doc),
    );
  }

  private remove(sandboxId: string, kind: Kind, id: string): boolean {
    return prepared(this.db, 'DELETE FROM governance_objects WHERE sandbox_id = ? AND kind = ? AND id = ?').run(sandboxId, kind, id).changes > 0;
  }

  async listLabels(sandboxId: string) {
    return this.list<GovernanceLabel>(sandboxId, 'label');
  }

  async putLabel(sandboxId: string, label: GovernanceLabel) {
    this.put(sandboxId, 'label', label.name, label);
  }

  async deleteLabel(sandboxId: string, name: string) {
    return this.remove(sandboxId, 'label', name);
  }

  async listActions(sandboxId: string) {
    return this.list<MarketingAction>(sandboxId, 'action');
  }

  async putAction(sandboxId: string, action: MarketingAction) {
    this.put(sandboxId, 'action', action.name, action);
  }

  async deleteAction(sandboxId: string, name: string) {
    return this.remove(sandboxId, 'action', name);
  }

  async listPolicies(sandboxId: string) {
    return this.list<Policy>(sandboxId, 'policy');
  }

  async putPolicy(sandboxId: string, policy: Policy) {
    this.put(sandboxId, 'policy', policy.id, policy);
  }

  async deletePolicy(sandboxId: string, id: string) {
    return this.remove(sandboxId, 'policy', id);
  }

  async coreStatuses(sandboxId: string) {
    const rows = this.list<{ policyId: string; status: PolicyStatus; updatedAt: string }>(sandboxId, 'coreStatus');
    return new Map(rows.map((r) => [r.policyId, { status: r.status, updatedAt: r.updatedAt }]));
  }

  async setCoreStatus(sandboxId: string, policyId: string, status: PolicyStatus, updatedAt: string) {
    this.put(sandboxId, 'coreStatus', policyId, { policyId, status, updatedAt });
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM governance_objects WHERE sandbox_id = ?').run(sandboxId);
  }
}
