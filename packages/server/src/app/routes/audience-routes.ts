/** Audience routes: segment definitions in the commercial suite's shape, and PQL validation while editing. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Audience, AudienceInput, Classification, Expression, ValidationIssue } from '../../segmentation/audiences/model.ts';
import { IdParams, problems } from './common.ts';

const ValidationResult = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Array(ValidationIssue),
  warnings: Type.Array(ValidationIssue),
  text: Type.Optional(Type.String({ description: 'canonical pql/text' })),
  ast: Type.Optional(Type.Unknown({ description: 'pql/json' })),
  classification: Type.Optional(Classification),
  dependencies: Type.Array(Type.String()),
});

export async function audienceRoutes(parent: FastifyInstance, { audiences, tenancy, memberships, settleProfiles }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType: 'audience', resourceId: id });

  app.post('/audiences/validate', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: 'Validate a PQL expression: every error with its position, unknown-field warnings, the evaluation method with reasons, the AST',
      body: Type.Object({ expression: Expression }, { additionalProperties: false }),
      response: { 200: ValidationResult, ...problems(400, 401, 403) },
    },
  }, async (request) => audiences.validate(request.sandbox, request.body.expression));

  app.get('/audiences', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: 'List audiences (filter by evaluation method like the suite: evaluationInfo.continuous.enabled=true)',
      querystring: Type.Object({
        'evaluationInfo.continuous.enabled': Type.Optional(Type.Boolean()),
        'evaluationInfo.synchronous.enabled': Type.Optional(Type.Boolean()),
      }),
      response: { 200: Type.Object({ items: Type.Array(Audience) }), ...problems(401, 403) },
    },
  }, async (request) => {
    const continuous = request.query['evaluationInfo.continuous.enabled'];
    const synchronous = request.query['evaluationInfo.synchronous.enabled'];
    const items = (await audiences.list(request.sandbox.id)).filter(
      (a) =>
        (continuous === undefined || a.evaluationInfo.continuous.enabled === continuous) &&
        (synchronous === undefined || a.evaluationInfo.synchronous.enabled === synchronous),
    );
    return { items };
  });

  app.post('/audiences', {
    config: { permission: 'write' },
    schema: { tags: ['audiences'], summary: 'Create an audience from a segment definition', body: AudienceInput, response: { 201: Audience, ...problems(400, 401, 403, 404, 422) } },
  }, async (request, reply) => {
    const audience = await audiences.create(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'audience.create', audience.id);
    return reply.status(201).send(audience);
  });

  app.get('/audiences/:id', {
    config: { permission: 'read' },
    schema: { tags: ['audiences'], summary: 'Get an audience', params: IdParams, response: { 200: Audience, ...problems(401, 403, 404) } },
  }, async (request) => audiences.get(request.sandbox.id, request.params.id));

  app.get('/audiences/:id/members', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: 'Members of an audience by profile id: current ones (realized or existing), or those of one status',
      params: IdParams,
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        cursor: Type.Optional(Type.String({ maxLength: 200 })),
        status: Type.Optional(Type.Union([Type.Literal('realized'), Type.Literal('existing'), Type.Literal('exited')])),
      }),
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({ profileId: Type.String(), status: Type.String(), lastQualificationTime: Type.String({ format: 'date-time' }) })),
          next: Type.Optional(Type.String()),
        }),
        ...problems(401, 403, 404),
      },
    },
  }, async (request) => {
    const audience = await audiences.get(request.sandbox.id, request.params.id);
    await settleProfiles();
    const limit = request.query.limit ?? 100;
    const rows = await memberships.members(request.sandbox.id, audience.id, { limit, ...(request.query.cursor ? { afterProfileId: request.query.cursor } : {}), ...(request.query.status ? { statuses: [request.query.status] } : {}) });
    return {
      items: rows.map((m) => ({ profileId: m.profileId, status: m.status, lastQualificationTime: new Date(m.lastQualificationTime).toISOString() })),
      ...(rows.length === limit ? { next: rows[rows.length - 1].profileId } : {}),
    };
  });

  app.put('/audiences/:id', {
    config: { permission: 'write' },
    schema: { tags: ['audiences'], summary: 'Replace an audience definition', params: IdParams, body: AudienceInput, response: { 200: Audience, ...problems(400, 401, 403, 404, 422) } },
  }, async (request) => {
    const audience = await audiences.update(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'audience.update', audience.id);
    return audience;
  });

  app.delete('/audiences/:id', {
    config: { permission: 'write' },
    schema: { tags: ['audiences'], summary: 'Delete an audience no other audience uses', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await audiences.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'audience.delete', request.params.id);
    return reply.status(204).send(null);
  });
}
