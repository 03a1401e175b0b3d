/** Schema routes: standard field groups, schemas (create, evolve, delete) and their JSON Schema. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { SchemaDoc, SchemaInput } from '../../schema/model.ts';
import { FIELD_GROUPS } from '../../schema/field-groups.ts';
import { toJsonSchema } from '../../schema/compose.ts';
import { IdParams, problems } from './common.ts';

export async function schemaRoutes(parent: FastifyInstance, { schemas, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) =>
    tenancy.audit({ actor, sandbox, action, resourceType: 'schema', resourceId: id });

  app.get('/schemas/field-groups', {
    config: { permission: 'read' },
    schema: { tags: ['schemas'], summary: 'Standard field groups ready to use in schemas' },
  }, async () => ({ items: FIELD_GROUPS.map((g) => ({ name: g.name, title: g.title, class: g.class, fields: g.fields, identities: g.identities ?? [] })) }));

  app.get('/schemas', {
    config: { permission: 'read' },
    schema: { tags: ['schemas'], summary: 'List schemas', response: { 200: Type.Object({ items: Type.Array(SchemaDoc) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await schemas.list(request.sandbox.id) }));

  app.post('/schemas', {
    config: { permission: 'write' },
    schema: { tags: ['schemas'], summary: 'Create a schema', body: SchemaInput, response: { 201: SchemaDoc, ...problems(400, 401, 403, 409, 422) } },
  }, async (request, reply) => {
    const doc = await schemas.create(request.sandbox.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'schema.create', doc.id);
    return reply.status(201).send(doc);
  });

  app.get('/schemas/:id', {
    config: { permission: 'read' },
    schema: { tags: ['schemas'], summary: 'Get a schema by id or name', params: IdParams, response: { 200: SchemaDoc, ...problems(401, 403, 404) } },
  }, async (request) => schemas.get(request.sandbox.id, request.params.id));

  app.get('/schemas/:id/json-schema', {
    config: { permission: 'read' },
    schema: { tags: ['schemas'], summary: 'The full JSON Schema a record of this schema must satisfy', params: IdParams },
  }, async (request) => toJsonSchema(await schemas.get(request.sandbox.id, request.params.id)));

  app.put('/schemas/:id', {
    config: { permission: 'write' },
    schema: {
      tags: ['schemas'],
      summary: 'Replace a schema definition (additive changes only once a dataset of it holds data)',
      params: IdParams,
      body: SchemaInput,
      response: { 200: SchemaDoc, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => {
    const doc = await schemas.update(request.sandbox.id, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'schema.update', doc.id);
    return doc;
  });

  app.delete('/schemas/:id', {
    config: { permission: 'write' },
    schema: { tags: ['schemas'], summary: 'Delete a schema no dataset uses', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await schemas.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'schema.delete', request.params.id);
    return reply.status(204).send(null);
  });
}
