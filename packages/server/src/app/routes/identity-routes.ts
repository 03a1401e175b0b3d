/** Identity routes: namespaces, identity settings (linking rules), and the identity graph of a person. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { hashedVariant, Namespace, normalizeIdentity } from '../../identity/namespaces.ts';
import { splitIdentityKey } from '../../identity/graph.ts';
import { problems } from './common.ts';

/** `NS:value` as used in `?identity=`: the namespace is everything before the first colon. */
export function parseIdentityParam(raw: string): { namespace: string; value: string } {
  const i = raw.indexOf(':');
  if (i <= 0 || i === raw.length - 1) {
    throw problem('BAD_REQUEST', 'identity must be written NAMESPACE:value, e.g. Email:ann@example.com', {
      errors: [{ path: 'querystring.identity', message: 'must be NAMESPACE:value' }],
    });
  }
  return { namespace: raw.slice(0, i), value: raw.slice(i + 1) };
}

export const IdentityQuery = Type.Object({ identity: Type.String({ minLength: 3, maxLength: 1100, description: 'NAMESPACE:value, e.g. ECID:123… or Email:ann@example.com' }) });

const Settings = Type.Object(
  {
    graphLimit: Type.Integer({ minimum: 2, maximum: 1000 }),
    uniqueNamespaces: Type.Array(Type.String(), { description: 'at most one value of each per person (e.g. CRMID)' }),
    priority: Type.Array(Type.String(), { description: 'namespace codes, highest priority first' }),
  },
  { additionalProperties: false },
);

const GraphNode = Type.Object({ namespace: Type.String(), id: Type.String(), type: Type.String(), firstSeen: Type.String(), lastSeen: Type.String() });
const GraphEdge = Type.Object({
  from: Type.Object({ namespace: Type.String(), id: Type.String() }),
  to: Type.Object({ namespace: Type.String(), id: Type.String() }),
  datasetId: Type.String(),
  createdAt: Type.String(),
  lastSeen: Type.String(),
});

export async function identityRoutes(parent: FastifyInstance, { identity, tenancy, settleProfiles }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/identity/namespaces', {
    config: { permission: 'read' },
    schema: { tags: ['identity'], summary: 'Standard and custom identity namespaces', response: { 200: Type.Object({ items: Type.Array(Namespace) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await identity.namespaces(request.sandbox.id) }));

  app.post('/identity/namespaces', {
    config: { permission: 'write' },
    schema: {
      tags: ['identity'],
      summary: 'Create a custom namespace (code and type cannot change later)',
      body: Type.Omit(Namespace, ['custom'], { additionalProperties: false }),
      response: { 201: Namespace, ...problems(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const ns = await identity.createNamespace(request.sandbox.id, request.body);
    await tenancy.audit({ actor: request.principal.keyId, sandbox: request.sandbox.name, action: 'namespace.create', resourceType: 'namespace', resourceId: ns.code });
    return reply.status(201).send(ns);
  });

  app.get('/identity/settings', {
    config: { permission: 'read' },
    schema: { tags: ['identity'], summary: 'Identity graph settings: limit, unique namespaces, priority', response: { 200: Settings, ...problems(401, 403) } },
  }, async (request) => identity.settings(request.sandbox.id));

  app.put('/identity/settings', {
    config: { permission: 'write' },
    schema: { tags: ['identity'], summary: 'Change identity graph settings (applies to links made from now on)', body: Settings, response: { 200: Settings, ...problems(400, 401, 403) } },
  }, async (request) => {
    const settings = await identity.updateSettings(request.sandbox.id, request.body);
    await tenancy.audit({ actor: request.principal.keyId, sandbox: request.sandbox.name, action: 'identitySettings.update', resourceType: 'identitySettings', resourceId: request.sandbox.name });
    return settings;
  });

  app.post('/identity/hash', {
    config: { permission: 'read' },
    schema: {
      tags: ['identity'],
      summary: 'Normalize an Email or Phone identity and give its SHA-256 hashed variant (Email_LC_SHA256, Phone_SHA256)',
      body: Type.Object({ namespace: Type.String({ minLength: 1 }), value: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ namespace: Type.String(), normalized: Type.String(), hashed: Type.Object({ namespace: Type.String(), value: Type.String() }) }),
        ...problems(400, 401, 403),
      },
    },
  }, async (request) => {
    const { namespace, value } = request.body;
    const ns = (await identity.resolver(request.sandbox.id))(namespace);
    if (!ns) throw problem('BAD_REQUEST', `unknown identity namespace "${namespace}"`, { errors: [{ path: 'body.namespace', message: 'unknown namespace' }] });
    const normalized = normalizeIdentity(ns, value);
    if (!normalized.ok) throw problem('BAD_REQUEST', `${namespace} identity ${normalized.reason}`, { errors: [{ path: 'body.value', message: normalized.reason }] });
    const hashed = hashedVariant(ns.code, normalized.value);
    if (!hashed) throw problem('BAD_REQUEST', `${namespace} has no hashed variant (Email and Phone have)`, { errors: [{ path: 'body.namespace', message: 'has no hashed variant' }] });
    return { namespace: ns.code, normalized: normalized.value, hashed };
  });

  app.get('/identity/graph', {
    config: { permission: 'read' },
    schema: {
      tags: ['identity'],
      summary: 'The identity graph holding an identity: nodes, and links with when and by which dataset they were made',
      querystring: IdentityQuery,
      response: { 200: Type.Object({ graphId: Type.String(), nodes: Type.Array(GraphNode), edges: Type.Array(GraphEdge) }), ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { namespace, value } = parseIdentityParam(request.query.identity);
    await settleProfiles();
    const graph = await identity.graphOf(request.sandbox.id, namespace, value);
    if (!graph) throw problem('NOT_FOUND', `no identity ${namespace}:${value} is known in this sandbox`);
    const iso = (ms: number) => new Date(ms).toISOString();
    const ref = (key: string) => {
      const s = splitIdentityKey(key);
      return { namespace: s.namespace, id: s.value };
    };
    return {
      graphId: graph.id,
      nodes: [...graph.nodes.values()].map((n) => ({ namespace: n.namespace, id: n.value, type: n.type, firstSeen: iso(n.firstSeen), lastSeen: iso(n.lastSeen) })),
      edges: graph.links.map((l) => ({ from: ref(l.a), to: ref(l.b), datasetId: l.datasetId, createdAt: iso(l.createdAt), lastSeen: iso(l.lastSeen) })),
    };
  });
}
