/** Storage interface of the tenancy domain; the embedded implementation is `sqlite-store.ts`. */
import type { ApiKey, AuditEntry, Role, Sandbox } from './model.ts';

export interface StoredApiKey extends ApiKey {
  hash: string;
}

export interface NewAuditEntry {
  actor: string;
  sandbox?: string;
  action: string;
  resourceType: string;
  resourceId: string;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  sandbox?: string;
  /** With `sandbox`: also the organization-level entries (API keys, sandboxes), which have no sandbox. */
  includeOrganization?: boolean;
  /** Sandbox entries at or after this time (ISO 8601): those of a deleted sandbox of the same name are not shown. */
  since?: string;
  /** Entries with an id below this, for paging backwards in time. */
  before?: number;
  limit: number;
}

export interface TenancyStore {
  getOrganization(): Promise<{ id: string; name: string } | undefined>;
  createOrganization(org: { id: string; name: string }): Promise<void>;

  listSandboxes(): Promise<Sandbox[]>;
  getSandboxByName(name: string): Promise<Sandbox | undefined>;
  createSandbox(sandbox: Sandbox): Promise<void>;
  deleteSandbox(id: string): Promise<void>;

  createApiKey(key: StoredApiKey): Promise<void>;
  findApiKeyByHash(hash: string): Promise<StoredApiKey | undefined>;
  listApiKeys(): Promise<ApiKey[]>;
  revokeApiKey(id: string, at: string): Promise<boolean>;
  /** Replaces the sandboxes a key is limited to. */
  limitApiKey(id: string, sandboxes: readonly string[]): Promise<void>;
  touchApiKey(id: string, at: string): Promise<void>;
  countActiveKeysWithRole(role: Role): Promise<number>;

  appendAudit(entry: NewAuditEntry): Promise<void>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
