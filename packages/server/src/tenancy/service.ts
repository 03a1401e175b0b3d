/**
 * Tenancy service: bootstraps the organization, manages sandboxes and API keys, verifies keys on
 * every admin call (with a small cache so the hot path does not touch storage), writes the audit log.
 *
 * @example
 *   const tenancy = new TenancyService(store);
 *   const { adminKey } = await tenancy.bootstrap({ adminKey: process.env.MERIDIAN_ADMIN_KEY });
 *   const principal = await tenancy.authenticate(adminKey!);
 */
import { createHash, randomBytes } from 'node:crypto';
import { problem } from '../errors.ts';
import { newId } from '../storage/ids.ts';
import type { ApiKey, Principal, Role, Sandbox } from './model.ts';
import type { AuditQuery, NewAuditEntry, TenancyStore } from './store.ts';

export const KEY_PREFIX = 'mrd_';

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Called when a sandbox is deleted, so every domain removes what it holds for it. */
export type SandboxPurger = (sandbox: Sandbox) => Promise<void>;

export interface BootstrapResult {
  /** The admin key, set only when this start created it (print it once). */
  adminKey?: string;
  created: boolean;
}

export class TenancyService {
  private readonly keyCache = new Map<string, { principal: Principal; checkedAt: number }>();
  private readonly sandboxCache = new Map<string, Sandbox>();
  private readonly purgers: SandboxPurger[] = [];
  private readonly creators: SandboxPurger[] = [];

  constructor(private readonly store: TenancyStore) {}

  onSandboxDeleted(purger: SandboxPurger): void {
    this.purgers.push(purger);
  }

  /** Called after a sandbox is created, so domains can seed it (standard schemas, ...). */
  onSandboxCreated(listener: SandboxPurger): void {
    this.creators.push(listener);
  }

  /**
   * First start: the organization, sandbox `prod` and an admin key. With `adminKey` given, that key
   * is registered (on every start, so automation can rely on it) instead of a generated one.
   */
  async bootstrap(options: { adminKey?: string; orgName?: string } = {}): Promise<BootstrapResult> {
    let created = false;
    if (!(await this.store.getOrganization())) {
      await this.store.createOrganization({ id: newId('org'), name: options.orgName ?? 'Meridian' });
      created = true;
    }
    if (!(await this.store.getSandboxByName('prod'))) {
      await this.createSandbox({ name: 'prod', title: 'Production', type: 'production' }, 'system');
    }
    if (options.adminKey) {
      if (!(await this.store.findApiKeyByHash(hashKey(options.adminKey)))) {
        await this.registerKey(options.adminKey, { name: 'admin (MERIDIAN_ADMIN_KEY)', role: 'admin' }, 'system');
      }
      return { created };
    }
    if ((await this.store.countActiveKeysWithRole('admin')) === 0) {
      const { secret } = await this.createApiKey({ name: 'bootstrap admin', role: 'admin' }, 'system');
      return { adminKey: secret, created };
    }
    return { created };
  }

  async authenticate(secret: string): Promise<Principal> {
    // Cached by the secret as presented (the process holds it for the request anyway), so a known
    // key costs a map lookup, not a SHA-256 and a query, on every call.
    const cached = this.keyCache.get(secret);
    const now = Date.now();
    if (cached && now - cached.checkedAt < 60_000) return cached.principal;
    const key = await this.store.findApiKeyByHash(hashKey(secret));
    if (!key || key.revokedAt) {
      this.keyCache.delete(secret);
      throw problem('UNAUTHORIZED', 'the API key is unknown or revoked');
    }
    const principal: Principal = { keyId: key.id, role: key.role, ...(key.sandboxes ? { sandboxes: key.sandboxes } : {}) };
    if (this.keyCache.size >= 10_000) this.keyCache.clear();
    this.keyCache.set(secret, { principal, checkedAt: now });
    await this.store.touchApiKey(key.id, new Date(now).toISOString());
    return principal;
  }

  async createApiKey(
    input: { name: string; role: Role; sandboxes?: string[] },
    actor: string,
  ): Promise<{ key: ApiKey; secret: string }> {
    const secret = KEY_PREFIX + randomBytes(24).toString('base64url');
    const key = await this.registerKey(secret, input, actor);
    return { key, secret };
  }

  private async registerKey(secret: string, input: { name: string; role: Role; sandboxes?: string[] }, actor: string) {
    for (const name of input.sandboxes ?? []) {
      if (!(await this.store.getSandboxByName(name))) throw problem('SANDBOX_NOT_FOUND', `sandbox "${name}" does not exist`);
    }
    const key: ApiKey = {
      id: newId('key'),
      name: input.name,
      role: input.role,
      ...(input.sandboxes ? { sandboxes: input.sandboxes } : {}),
      prefix: secret.slice(0, 8),
      createdAt: new Date().toISOString(),
    };
    await this.store.createApiKey({ ...key, hash: hashKey(secret) });
    await this.audit({ actor, action: 'apiKey.create', resourceType: 'apiKey', resourceId: key.id, details: { role: key.role, name: key.name } });
    return key;
  }

  listApiKeys(): Promise<ApiKey[]> {
    return this.store.listApiKeys();
  }

  async revokeApiKey(id: string, actor: string): Promise<void> {
    if (!(await this.store.revokeApiKey(id, new Date().toISOString()))) {
      throw problem('API_KEY_NOT_FOUND', `no active API key with id ${id}`);
    }
    for (const [secret, entry] of this.keyCache) if (entry.principal.keyId === id) this.keyCache.delete(secret);
    await this.audit({ actor, action: 'apiKey.revoke', resourceType: 'apiKey', resourceId: id });
  }

  listSandboxes(): Promise<Sandbox[]> {
    return this.store.listSandboxes();
  }

  async getSandbox(name: string): Promise<Sandbox> {
    const cached = this.sandboxCache.get(name);
    if (cached) return cached;
    const sandbox = await this.store.getSandboxByName(name);
    if (!sandbox) throw problem('SANDBOX_NOT_FOUND', `sandbox "${name}" does not exist`);
    this.sandboxCache.set(name, sandbox);
    return sandbox;
  }

  async createSandbox(input: { name: string; title?: string; type?: Sandbox['type'] }, actor: string): Promise<Sandbox> {
    if (await this.store.getSandboxByName(input.name)) throw problem('NAME_TAKEN', `sandbox "${input.name}" already exists`);
    const sandbox: Sandbox = {
      id: newId('sbx'),
      name: input.name,
      title: input.title ?? input.name,
      type: input.type ?? 'development',
      createdAt: new Date().toISOString(),
    };
    await this.store.createSandbox(sandbox);
    for (const seed of this.creators) await seed(sandbox);
    // Organization-level, like key changes: the entry must outlive the sandbox it names.
    await this.audit({ actor, action: 'sandbox.create', resourceType: 'sandbox', resourceId: sandbox.id, details: { name: sandbox.name } });
    return sandbox;
  }

  /** Deletes a sandbox and, through every domain's purger, all it holds. */
  async deleteSandbox(name: string, actor: string): Promise<void> {
    const sandbox = await this.getSandbox(name);
    if (sandbox.name === 'prod') throw problem('CONFLICT', 'the production sandbox "prod" cannot be deleted');
    for (const purge of this.purgers) await purge(sandbox);
    await this.store.deleteSandbox(sandbox.id);
    this.sandboxCache.delete(name);
    await this.releaseKeysOf(name, actor);
    await this.audit({ actor, action: 'sandbox.delete', resourceType: 'sandbox', resourceId: sandbox.id, details: { name } });
  }

  /**
   * Keys limited to a deleted sandbox lose it, so a later sandbox of the same name does not give
   * them access back; a key left with no sandbox is revoked.
   */
  private async releaseKeysOf(name: string, actor: string): Promise<void> {
    for (const key of await this.store.listApiKeys()) {
      if (key.revokedAt || !key.sandboxes?.includes(name)) continue;
      const rest = key.sandboxes.filter((s) => s !== name);
      if (rest.length === 0) await this.revokeApiKey(key.id, actor);
      else await this.store.limitApiKey(key.id, rest);
    }
    this.keyCache.clear();
  }

  audit(entry: NewAuditEntry): Promise<void> {
    return this.store.appendAudit(entry);
  }

  listAudit(query: AuditQuery) {
    return this.store.listAudit(query);
  }
}
