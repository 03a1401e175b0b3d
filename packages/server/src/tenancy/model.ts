/**
 * Tenancy owns the organization, its sandboxes, API keys with roles, and the audit log.
 * The schemas here are the types: API validation, OpenAPI and TypeScript agree by construction.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SandboxName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' });

export const Sandbox = Type.Object({
  id: Type.String(),
  name: SandboxName,
  title: Type.String(),
  type: Type.Union([Type.Literal('production'), Type.Literal('development')]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Sandbox = Static<typeof Sandbox>;

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('viewer'), Type.Literal('ingest')], {
  description: 'admin: everything; editor: read, write and ingest in its sandboxes; viewer: read; ingest: send data only',
});
export type Role = Static<typeof Role>;

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  /** Sandbox names the key may use; absent means every sandbox. */
  sandboxes: Type.Optional(Type.Array(SandboxName)),
  /** First characters of the secret, to recognise a key without revealing it. */
  prefix: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastUsedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type ApiKey = Static<typeof ApiKey>;

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'API key id, or "system"' }),
  sandbox: Type.Optional(Type.String({ description: 'absent for organization-level changes (API keys, sandboxes)' })),
  action: Type.String({ description: 'e.g. dataset.create' }),
  resourceType: Type.String(),
  resourceId: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** What an API call is allowed to do; each route declares the one it needs. */
export type Permission = 'read' | 'write' | 'ingest' | 'manage';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'write', 'ingest', 'manage'],
  editor: ['read', 'write', 'ingest'],
  viewer: ['read'],
  ingest: ['ingest'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** The caller of an admin API, resolved from its key. */
export interface Principal {
  keyId: string;
  role: Role;
  sandboxes?: readonly string[];
}

export function principalMaySee(principal: Principal, sandboxName: string): boolean {
  return principal.sandboxes === undefined || principal.sandboxes.includes(sandboxName);
}
