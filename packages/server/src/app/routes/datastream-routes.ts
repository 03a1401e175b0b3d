/** Datastream routes: admin CRUD of the edge's configIds (editor or admin to change, any role to read). */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Datastream, DatastreamInput } from '../../edge/datastreams/model.ts';
import { problems } from './common.ts';

const DatastreamParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'the configId' }) });

export async function datastreamRoutes(parent: FastifyInstance, { datastreams, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType: 'datastream', resourceId: id });

  app.get('/datastreams', {
    config: { permission: 'read' },
    schema: { tags: ['datastreams'], summary: 'List the datastreams of the sandbox', response: { 200: Type.Object({ items: Type.Array(Datastream) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await datastreams.list(request.sandbox.id) }));

  app.post('/datastreams', {
    config: { permission: 'write' },
    schema: {
      tags: ['datastreams'],
      summary: 'Create a datastream (its id is the configId edge clients send)',
      body: DatastreamInput,
      response: { 201: Datastream, ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) => {
    const datastream = await datastreams.create(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'datastream.create', datastream.id);
    return reply.status(201).send(datastream);
  });

  app.get('/datastreams/:id', {
    config: { permission: 'read' },
    schema: { tags: ['datastreams'], summary: 'Get a datastream', params: DatastreamParams, response: { 200: Datastream, ...problems(401, 403, 404) } },
  }, async (request) => datastreams.get(request.sandbox.id, request.params.id));

  app.put('/datastreams/:id', {
    config: { permission: 'write' },
    schema: {
      tags: ['datastreams'],
      summary: 'Replace a datastream configuration (takes effect on the next edge request)',
      params: DatastreamParams,
      body: DatastreamInput,
      response: { 200: Datastream, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const datastream = await datastreams.update(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'datastream.update', datastream.id);
    return datastream;
  });

  app.delete('/datastreams/:id', {
    config: { permission: 'write' },
    schema: { tags: ['datastreams'], summary: 'Delete a datastream (its configId stops resolving at once)', params: DatastreamParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await datastreams.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'datastream.delete', request.params.id);
    return reply.status(204).send(null);
  });
}
