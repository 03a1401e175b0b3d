/** Embedded (SQLite) implementation of the tenancy store. */
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { ApiKey, AuditEntry, Role, Sandbox } from './model.ts';
import type { AuditQuery, NewAuditEntry, StoredApiKey, TenancyStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE sandboxes (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
     type TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, sandboxes TEXT,
     prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT);
   CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
     sandbox TEXT, action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, details TEXT);
   CREATE INDEX audit_log_sandbox ON audit_log (sandbox, id);`,
];

interface KeyRow {
  id: string;
  name: string;
  role: Role;
  sandboxes: string | null;
  prefix: string;
  hash: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

function keyFromRow(row: KeyRow): StoredApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    ...(row.sandboxes ? { sandboxes: JSON.parse(row.sandboxes) as string[] } : {}),
    prefix: row.prefix,
    hash: row.hash,
    createdAt: row.created_at,
    ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
    ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}),
  };
}

function publicKey({ hash: _hash, ...key }: StoredApiKey): ApiKey {
  return key;
}

export class SqliteTenancyStore implements TenancyStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'tenancy', MIGRATIONS);
  }

  async getOrganization() {
    return prepared(this.db, 'SELECT id, name FROM organizations LIMIT 1').get() as { id: string; name: string } | undefined;
  }

  async createOrganization(org: { id: string; name: string }) {
    prepared(this.db, 'INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, new Date().toISOString());
  }

  async listSandboxes(): Promise<Sandbox[]> {
    const rows = prepared(this.db, 'SELECT * FROM sandboxes ORDER BY created_at, name').all() as SandboxRow[];
    return rows.map(sandboxFromRow);
  }

  async getSandboxByName(name: string) {
    const row = prepared(this.db, 'SELECT * FROM sandboxes WHERE name = ?').get(name) as SandboxRow | undefined;
    return row ? sandboxFromRow(row) : undefined;
  }

  async createSandbox(s: Sandbox) {
    prepared(this.db, 'INSERT INTO sandboxes (id, name, title, type, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.id, s.name, s.title, s.type, s.createdAt);
  }

  async deleteSandbox(id: string) {
    prepared(this.db, 'DELETE FROM sandboxes WHERE id = ?').run(id);
  }

  async createApiKey(k: StoredApiKey) {
    prepared(
        this.db,
        'INSERT INTO api_keys (id, name, role, sandboxes, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(k.id, k.name, k.role, k.sandboxes ? JSON.stringify(k.sandboxes) : null, k.prefix, k.hash, k.createdAt);
  }

  async findApiKeyByHash(hash: string) {
    const row = prepared(this.db, 'SELECT * FROM api_keys WHERE hash = ?').get(hash) as KeyRow | undefined;
    return row ? keyFromRow(row) : undefined;
  }

  async listApiKeys() {
    const rows = prepared(this.db, 'SELECT * FROM api_keys ORDER BY created_at').all() as KeyRow[];
    return rows.map((r) => publicKey(keyFromRow(r)));
  }

  async revokeApiKey(id: string, at: string) {
    return prepared(this.db, 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
  }

  async limitApiKey(id: string, sandboxes: readonly string[]) {
    prepared(this.db, 'UPDATE api_keys SET sandboxes = ? WHERE id = ?').run(JSON.stringify(sandboxes), id);
  }

  async touchApiKey(id: string, at: string) {
    prepared(this.db, 'UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  async countActiveKeysWithRole(role: Role) {
    const row = prepared(this.db, 'SELECT count(*) AS n FROM api_keys WHERE role = ? AND revoked_at IS NULL').get(role) as { n: number };
    return row.n;
  }

  async appendAudit(e: NewAuditEntry) {
    prepared(
        this.db,
        'INSERT INTO audit_log (at, actor, sandbox, action, resource_type, resource_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(new Date().toISOString(), e.actor, e.sandbox ?? null, e.action, e.resourceType, e.resourceId, e.details ? JSON.stringify(e.details) : null);
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const rows = prepared(
        this.db,
        `SELECT * FROM audit_log WHERE (@sandbox IS NULL OR sandbox = @sandbox OR (@org = 1 AND sandbox IS NULL))
           AND (@since IS NULL OR sandbox IS NULL OR at >= @since) AND (@before IS NULL OR id < @before)
         ORDER BY id DESC ${boundLimit('@limit')}`,
      )
      .all({ sandbox: q.sandbox ?? null, org: q.includeOrganization ? 1 : 0, since: q.since ?? null, before: q.before ?? null, limit: q.limit }) as AuditRow[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      ...(r.sandbox ? { sandbox: r.sandbox } : {}),
      action: r.action,
      resourceType: r.resource_type,
      resourceId: r.resource_id,
      ...(r.details ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
    }));
  }
}

interface SandboxRow {
  id: string;
  name: string;
  title: string;
  type: Sandbox['type'];
  created_at: string;
}

function sandboxFromRow(r: SandboxRow): Sandbox {
  return { id: r.id, name: r.name, title: r.title, type: r.type, createdAt: r.created_at };
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  sandbox: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  details: string | null;
}
