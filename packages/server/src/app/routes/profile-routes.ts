/** Profile routes: merge policies, the merged real-time profile and the person's event timeline. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { MergePolicy, MergePolicyInput } from '../../profile/merge-policy.ts';
import { IdentityQuery, parseIdentityParam } from './identity-routes.ts';
import { IdParams, problems } from './common.ts';

const Profile = Type.Object({
  profileId: Type.String(),
  mergePolicyId: Type.String(),
  identities: Type.Array(Type.Object({ namespace: Type.String(), id: Type.String() })),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  segmentMembership: Type.Object({ ups: Type.Record(Type.String(), Type.Unknown()) }),
  computedAttributes: Type.Record(Type.String(), Type.Unknown()),
  lastUpdated: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export async function profileRoutes(parent: FastifyInstance, { profiles, tenancy, settleProfiles }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType: 'mergePolicy', resourceId: id });

  app.get('/merge-policies', {
    config: { permission: 'read' },
    schema: { tags: ['profiles'], summary: 'List merge policies', response: { 200: Type.Object({ items: Type.Array(MergePolicy) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await profiles.policies(request.sandbox.id) }));

  app.post('/merge-policies', {
    config: { permission: 'write' },
    schema: { tags: ['profiles'], summary: 'Create a merge policy', body: MergePolicyInput, response: { 201: MergePolicy, ...problems(400, 401, 403, 409) } },
  }, async (request, reply) => {
    const policy = await profiles.createPolicy(request.sandbox.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'mergePolicy.create', policy.id);
    return reply.status(201).send(policy);
  });

  app.get('/merge-policies/:id', {
    config: { permission: 'read' },
    schema: { tags: ['profiles'], summary: 'Get a merge policy', params: IdParams, response: { 200: MergePolicy, ...problems(401, 403, 404) } },
  }, async (request) => profiles.policy(request.sandbox.id, request.params.id));

  app.put('/merge-policies/:id', {
    config: { permission: 'write' },
    schema: { tags: ['profiles'], summary: 'Replace a merge policy', params: IdParams, body: MergePolicyInput, response: { 200: MergePolicy, ...problems(400, 401, 403, 404, 409) } },
  }, async (request) => {
    const policy = await profiles.updatePolicy(request.sandbox.id, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'mergePolicy.update', policy.id);
    return policy;
  });

  app.delete('/merge-policies/:id', {
    config: { permission: 'write' },
    schema: { tags: ['profiles'], summary: 'Delete a merge policy (not the default)', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await profiles.deletePolicy(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'mergePolicy.delete', request.params.id);
    return reply.status(204).send(null);
  });

  app.get('/profiles', {
    config: { permission: 'read' },
    schema: {
      tags: ['profiles'],
      summary: 'The merged profile of the person holding an identity (any identity of the person returns the same profile)',
      querystring: Type.Intersect([IdentityQuery, Type.Object({ mergePolicyId: Type.Optional(Type.String()) })]),
      response: { 200: Profile, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { namespace, value } = parseIdentityParam(request.query.identity);
    await settleProfiles();
    const profile = await profiles.lookup(request.sandbox.id, namespace, value, request.query.mergePolicyId);
    if (!profile) throw problem('NOT_FOUND', `no profile holds ${namespace}:${value} in this sandbox`);
    return { ...profile, lastUpdated: profile.lastUpdated ? new Date(profile.lastUpdated).toISOString() : null };
  });

  app.get('/profiles/events', {
    config: { permission: 'read' },
    schema: {
      tags: ['profiles'],
      summary: "The person's events, newest first",
      querystring: Type.Intersect([
        IdentityQuery,
        Type.Object({
          mergePolicyId: Type.Optional(Type.String()),
          eventType: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'one or more event types' })),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          cursor: Type.Optional(Type.String({ pattern: '^\\d+\\.\\d+$', description: 'the `next` value of the previous page' })),
        }),
      ]),
      response: { 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())), next: Type.Optional(Type.String()) }), ...problems(400, 401, 403) },
    },
  }, async (request) => {
    const q = request.query;
    const { namespace, value } = parseIdentityParam(q.identity);
    const limit = q.limit ?? 100;
    await settleProfiles();
    const [ts, seq] = q.cursor ? q.cursor.split('.').map(Number) : [];
    const { entries, events } = await profiles.events(request.sandbox.id, namespace, value, {
      limit,
      ...(q.mergePolicyId ? { policyId: q.mergePolicyId } : {}),
      ...(q.eventType ? { eventTypes: Array.isArray(q.eventType) ? q.eventType : [q.eventType] } : {}),
      ...(q.from ? { from: Date.parse(q.from) } : {}),
      ...(q.to ? { to: Date.parse(q.to) } : {}),
      ...(q.cursor ? { before: { timestamp: ts, seq } } : {}),
    });
    const last = entries[entries.length - 1];
    return { items: events, ...(entries.length === limit && last ? { next: `${last.timestamp}.${last.seq}` } : {}) };
  });
}
