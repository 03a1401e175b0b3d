/** Organization-level admin routes: sandboxes, API keys, audit log. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { ApiKey, AuditEntry, Role, Sandbox, SandboxName } from '../../tenancy/model.ts';
import { problems } from './common.ts';

export async function tenancyRoutes(parent: FastifyInstance, { tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const org = { sandboxScoped: false } as const;

  app.get('/sandboxes', {
    config: { ...org, permission: 'read' },
    schema: { tags: ['tenancy'], summary: 'List sandboxes', response: { 200: Type.Object({ items: Type.Array(Sandbox) }), ...problems(401, 403) } },
  }, async (request) => {
    const all = await tenancy.listSandboxes();
    const allowed = request.principal.sandboxes;
    return { items: allowed ? all.filter((s) => allowed.includes(s.name)) : all };
  });

  app.post('/sandboxes', {
    config: { ...org, permission: 'manage' },
    schema: {
      tags: ['tenancy'],
      summary: 'Create a sandbox',
      body: Type.Object({ name: SandboxName, title: Type.Optional(Type.String({ maxLength: 200 })), type: Type.Optional(Sandbox.properties.type) }, { additionalProperties: false }),
      response: { 201: Sandbox, ...problems(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const sandbox = await tenancy.createSandbox(request.body, request.principal.keyId);
    return reply.status(201).send(sandbox);
  });

  app.delete('/sandboxes/:name', {
    config: { ...org, permission: 'manage' },
    schema: { tags: ['tenancy'], summary: 'Delete a sandbox and everything in it', params: Type.Object({ name: SandboxName }), response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await tenancy.deleteSandbox(request.params.name, request.principal.keyId);
    return reply.status(204).send(null);
  });

  app.get('/api-keys', {
    config: { ...org, permission: 'manage' },
    schema: { tags: ['tenancy'], summary: 'List API keys (never their secrets)', response: { 200: Type.Object({ items: Type.Array(ApiKey) }), ...problems(401, 403) } },
  }, async () => ({ items: await tenancy.listApiKeys() }));

  app.post('/api-keys', {
    config: { ...org, permission: 'manage' },
    schema: {
      tags: ['tenancy'],
      summary: 'Create an API key; the secret is shown only in this response',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), role: Role, sandboxes: Type.Optional(Type.Array(SandboxName, { minItems: 1 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: ApiKey, secret: Type.String() }), ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.status(201).send(await tenancy.createApiKey(request.body, request.principal.keyId)));

  app.delete('/api-keys/:id', {
    config: { ...org, permission: 'manage' },
    schema: { tags: ['tenancy'], summary: 'Revoke an API key', params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await tenancy.revokeApiKey(request.params.id, request.principal.keyId);
    return reply.status(204).send(null);
  });

  app.get('/audit', {
    config: { permission: 'manage' },
    schema: {
      tags: ['tenancy'],
      summary: 'Audit log of admin changes in the sandbox, newest first (with organization-level changes to keys and sandboxes for keys not limited to sandboxes)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({ items: Type.Array(AuditEntry), next: Type.Optional(Type.Integer()) }), ...problems(401, 403) },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const items = await tenancy.listAudit({
      sandbox: request.sandbox.name,
      includeOrganization: !request.principal.sandboxes,
      since: request.sandbox.createdAt,
      limit,
      ...(request.query.cursor ? { before: request.query.cursor } : {}),
    });
    return { items, ...(items.length === limit ? { next: items[items.length - 1].id } : {}) };
  });
}
