/** Computed-attribute routes: definitions (create, list, read, patch, delete) and validation while editing. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { ComputedAttribute, ComputedAttributeCheck, ComputedAttributeInput, ComputedAttributePatch, DefinitionIssue, MergeFunction } from '../../segmentation/computed/model.ts';
import { IdParams, problems } from './common.ts';

export async function computedAttributeRoutes(parent: FastifyInstance, { computedAttributes, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType: 'computedAttribute', resourceId: id });

  app.post('/computed-attributes/validate', {
    config: { permission: 'read' },
    schema: {
      tags: ['computed attributes'],
      summary: 'Check a computed attribute while editing: every problem with its position, or the canonical PQL and the merge function',
      body: ComputedAttributeCheck,
      response: {
        200: Type.Object({
          valid: Type.Boolean(),
          errors: Type.Array(DefinitionIssue),
          expression: Type.Optional(Type.String({ description: 'canonical pql/text' })),
          mergeFunction: Type.Optional(MergeFunction),
          eventTypes: Type.Optional(Type.Array(Type.String(), { description: 'event types the filter pins' })),
        }),
        ...problems(400, 401, 403),
      },
    },
  }, async (request) => computedAttributes.validate(request.body));

  app.get('/computed-attributes', {
    config: { permission: 'read' },
    schema: { tags: ['computed attributes'], summary: 'List computed attributes', response: { 200: Type.Object({ items: Type.Array(ComputedAttribute) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await computedAttributes.list(request.sandbox.id) }));

  app.post('/computed-attributes', {
    config: { permission: 'write' },
    schema: {
      tags: ['computed attributes'],
      summary: 'Create a computed attribute: an aggregate of the profile\'s events over a lookback window, at computedAttributes.<name>',
      body: ComputedAttributeInput,
      response: { 201: ComputedAttribute, ...problems(400, 401, 403, 409, 422) },
    },
  }, async (request, reply) => {
    const attribute = await computedAttributes.create(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'computedAttribute.create', attribute.id);
    return reply.status(201).send(attribute);
  });

  app.get('/computed-attributes/:id', {
    config: { permission: 'read' },
    schema: { tags: ['computed attributes'], summary: 'Get a computed attribute', params: IdParams, response: { 200: ComputedAttribute, ...problems(401, 403, 404) } },
  }, async (request) => computedAttributes.get(request.sandbox.id, request.params.id));

  app.patch('/computed-attributes/:id', {
    config: { permission: 'write' },
    schema: {
      tags: ['computed attributes'],
      summary: 'Change a computed attribute (anything but its name); values are recomputed on the next read or event',
      params: IdParams,
      body: ComputedAttributePatch,
      response: { 200: ComputedAttribute, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const attribute = await computedAttributes.update(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'computedAttribute.update', attribute.id);
    return attribute;
  });

  app.delete('/computed-attributes/:id', {
    config: { permission: 'write' },
    schema: { tags: ['computed attributes'], summary: 'Delete a computed attribute no audience reads', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await computedAttributes.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'computedAttribute.delete', request.params.id);
    return reply.status(204).send(null);
  });
}
