/** Destination and activation routes: destination types, destinations, activations, runs, dead letters and replay. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Activation, ActivationInput, ActivationStats, DeadLetter, Destination, DestinationInput, Run } from '../../activation/model.ts';
import { IdParams, problems } from './common.ts';

const DestinationType = Type.Object({
  type: Type.String(),
  name: Type.String(),
  description: Type.String(),
  settings: Type.Unknown({ description: 'JSON Schema of the settings' }),
  secrets: Type.Array(Type.String()),
  identities: Type.Object({ namespaces: Type.Array(Type.String()), minimum: Type.Integer(), hashing: Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('never')]) }),
  schedules: Type.Array(Type.String()),
  defaultMappings: Type.Array(Type.Object({ source: Type.String(), destination: Type.String() })),
});

const ActivationDetail = Type.Intersect([Activation, Type.Object({ stats: ActivationStats, nextRunAt: Type.Optional(Type.String({ format: 'date-time' })) })]);

export async function activationRoutes(parent: FastifyInstance, { activations, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, resourceType: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType, resourceId: id });

  app.get('/destinations/types', {
    config: { permission: 'read' },
    schema: { tags: ['activation'], summary: 'Destination types: settings schema, identity requirements, schedules, mapping defaults', response: { 200: Type.Object({ items: Type.Array(DestinationType) }), ...problems(401, 403) } },
  }, async () => ({
    items: activations.types().map((d) => ({
      type: d.type,
      name: d.name,
      description: d.description,
      settings: d.settings,
      secrets: [...d.secrets],
      identities: { namespaces: [...d.identities.namespaces], minimum: d.identities.minimum, hashing: d.identities.hashing },
      schedules: [...d.schedules],
      defaultMappings: d.defaultMappings.map((m) => ({ ...m })),
    })),
  }));

  app.post('/destinations', {
    config: { permission: 'write' },
    schema: { tags: ['activation'], summary: 'Create a destination (settings validated against its type)', body: DestinationInput, response: { 201: Destination, ...problems(400, 401, 403, 422) } },
  }, async (request, reply) => {
    const destination = await activations.createDestination(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'destination.create', 'destination', destination.id);
    return reply.status(201).send(destination);
  });

  app.get('/destinations', {
    config: { permission: 'read' },
    schema: { tags: ['activation'], summary: 'List destinations (secrets hidden)', response: { 200: Type.Object({ items: Type.Array(Destination) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await activations.listDestinations(request.sandbox.id) }));

  app.get('/destinations/:id', {
    config: { permission: 'read' },
    schema: { tags: ['activation'], summary: 'Get a destination (secrets hidden)', params: IdParams, response: { 200: Destination, ...problems(401, 403, 404) } },
  }, async (request) => activations.getDestination(request.sandbox.id, request.params.id));

  app.put('/destinations/:id', {
    config: { permission: 'write' },
    schema: {
      tags: ['activation'],
      summary: 'Replace a destination\'s name and settings (a secret sent back as "********" keeps its value)',
      params: IdParams,
      body: DestinationInput,
      response: { 200: Destination, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (request) => {
    const destination = await activations.updateDestination(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'destination.update', 'destination', destination.id);
    return destination;
  });

  app.delete('/destinations/:id', {
    config: { permission: 'write' },
    schema: { tags: ['activation'], summary: 'Delete a destination no activation uses', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await activations.deleteDestination(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'destination.delete', 'destination', request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/activations', {
    config: { permission: 'write' },
    schema: {
      tags: ['activation'],
      summary: 'Activate audiences to a destination (streaming: existing members are backfilled; batch once: exported now)',
      body: ActivationInput,
      response: { 201: Activation, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request, reply) => {
    const activation = await activations.create(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'activation.create', 'activation', activation.id);
    return reply.status(201).send(activation);
  });

  app.get('/activations', {
    config: { permission: 'read' },
    schema: { tags: ['activation'], summary: 'List activations', response: { 200: Type.Object({ items: Type.Array(Activation) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await activations.list(request.sandbox.id) }));

  app.get('/activations/:id', {
    config: { permission: 'read' },
    schema: { tags: ['activation'], summary: 'Get an activation with its delivery stats (pending, dead letters, delivered, last error)', params: IdParams, response: { 200: ActivationDetail, ...problems(401, 403, 404) } },
  }, async (request) => activations.get(request.sandbox.id, request.params.id));

  app.put('/activations/:id', {
    config: { permission: 'write' },
    schema: {
      tags: ['activation'],
      summary: 'Replace an activation (audiences added to a streaming activation are backfilled)',
      params: IdParams,
      body: ActivationInput,
      response: { 200: Activation, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const activation = await activations.update(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'activation.update', 'activation', activation.id);
    return activation;
  });

  app.delete('/activations/:id', {
    config: { permission: 'write' },
    schema: { tags: ['activation'], summary: 'Delete an activation with its outbox, runs and dead letters', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await activations.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'activation.delete', 'activation', request.params.id);
    return reply.status(204).send(null);
  });

  app.get('/activations/:id/runs', {
    config: { permission: 'read' },
    schema: {
      tags: ['activation'],
      summary: 'Runs of an activation, newest first: counts, failures, last error, files written',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }),
      response: { 200: Type.Object({ items: Type.Array(Run) }), ...problems(401, 403, 404) },
    },
  }, async (request) => ({ items: await activations.runs(request.sandbox.id, request.params.id, request.query.limit ?? 50) }));

  app.post('/activations/:id/runs', {
    config: { permission: 'write' },
    schema: { tags: ['activation'], summary: 'Export now: a manual run of every mapped audience', params: IdParams, response: { 202: Run, ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    const run = await activations.runNow(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'activation.run', 'activation', request.params.id);
    return reply.status(202).send(run);
  });

  app.get('/activations/:id/dead-letters', {
    config: { permission: 'read' },
    schema: {
      tags: ['activation'],
      summary: 'Deliveries that failed for good (permanent errors, or retries exhausted)',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.Integer({ minimum: 0 })) }),
      response: { 200: Type.Object({ items: Type.Array(DeadLetter), next: Type.Optional(Type.Integer()) }), ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const items = await activations.deadLetters(request.sandbox.id, request.params.id, limit, request.query.cursor);
    return { items, ...(items.length === limit ? { next: items[items.length - 1].id } : {}) };
  });

  app.post('/activations/:id/dead-letters/replay', {
    config: { permission: 'write' },
    schema: {
      tags: ['activation'],
      summary: 'Send dead letters again (all, or the given ids) under a new replay run',
      params: IdParams,
      body: Type.Object({ ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 })) }, { additionalProperties: false }),
      response: { 202: Type.Object({ replayed: Type.Integer(), run: Type.Optional(Run) }), ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const result = await activations.replay(request.sandbox.id, request.params.id, request.body.ids);
    await audit(request.principal.keyId, request.sandbox.name, 'activation.replay', 'activation', request.params.id);
    return reply.status(202).send(result);
  });
}
