/** Dataset routes: CRUD, record counts, recent records and rejected records. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Dataset, DatasetInput, DatasetPatch } from '../../catalog/model.ts';
import { IdParams, problems } from './common.ts';

const Rejection = Type.Object({
  id: Type.Integer(),
  batchId: Type.Optional(Type.String()),
  source: Type.String(),
  index: Type.Integer(),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
  body: Type.String(),
  rejectedAt: Type.String({ format: 'date-time' }),
});

export async function datasetRoutes(parent: FastifyInstance, { catalog, records, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) =>
    tenancy.audit({ actor, sandbox, action, resourceType: 'dataset', resourceId: id });

  app.get('/datasets', {
    config: { permission: 'read' },
    schema: { tags: ['datasets'], summary: 'List datasets', response: { 200: Type.Object({ items: Type.Array(Dataset) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await catalog.list(request.sandbox.id) }));

  app.post('/datasets', {
    config: { permission: 'write' },
    schema: { tags: ['datasets'], summary: 'Create a dataset bound to a schema', body: DatasetInput, response: { 201: Dataset, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (request, reply) => {
    const dataset = await catalog.create(request.sandbox.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'dataset.create', dataset.id);
    return reply.status(201).send(dataset);
  });

  app.get('/datasets/:id', {
    config: { permission: 'read' },
    schema: {
      tags: ['datasets'],
      summary: 'Get a dataset by id or name, with its record count',
      params: IdParams,
      response: { 200: Type.Intersect([Dataset, Type.Object({ recordCount: Type.Integer() })]), ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const dataset = await catalog.get(request.sandbox.id, request.params.id);
    return { ...dataset, recordCount: await records.countByDataset(request.sandbox.id, dataset.id) };
  });

  app.patch('/datasets/:id', {
    config: { permission: 'write' },
    schema: { tags: ['datasets'], summary: 'Change name, description, profile flag, labels or retention', params: IdParams, body: DatasetPatch, response: { 200: Dataset, ...problems(400, 401, 403, 404, 409) } },
  }, async (request) => {
    const dataset = await catalog.update(request.sandbox.id, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'dataset.update', dataset.id);
    return dataset;
  });

  app.delete('/datasets/:id', {
    config: { permission: 'write' },
    schema: { tags: ['datasets'], summary: 'Delete a dataset and its records', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    const dataset = await catalog.get(request.sandbox.id, request.params.id);
    await catalog.delete(request.sandbox.id, dataset.id);
    await audit(request.principal.keyId, request.sandbox.name, 'dataset.delete', dataset.id);
    return reply.status(204).send(null);
  });

  app.get('/datasets/:id/records', {
    config: { permission: 'read' },
    schema: {
      tags: ['datasets'],
      summary: 'Most recent records of a dataset (newest first)',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.Integer({ minimum: 1 })), batchId: Type.Optional(Type.String()) }),
    },
  }, async (request) => {
    const dataset = await catalog.get(request.sandbox.id, request.params.id);
    const limit = request.query.limit ?? 100;
    const rows = await records.listByDataset(request.sandbox.id, dataset.id, {
      limit,
      ...(request.query.cursor ? { beforeSeq: request.query.cursor } : {}),
      ...(request.query.batchId ? { batchId: request.query.batchId } : {}),
    });
    return {
      items: rows.map((r) => JSON.parse(r.body) as unknown),
      ...(rows.length === limit ? { next: rows[rows.length - 1].seq } : {}),
    };
  });

  app.get('/datasets/:id/rejections', {
    config: { permission: 'read' },
    schema: {
      tags: ['datasets'],
      summary: 'Records rejected by validation, with their reasons (oldest first)',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.Integer({ minimum: 0 })) }),
      response: { 200: Type.Object({ items: Type.Array(Rejection), next: Type.Optional(Type.Integer()) }), ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const dataset = await catalog.get(request.sandbox.id, request.params.id);
    const limit = request.query.limit ?? 100;
    const rows = await records.listRejections(request.sandbox.id, { datasetId: dataset.id, afterId: request.query.cursor ?? 0, limit });
    return {
      items: rows.map(({ sandboxId: _s, datasetId: _d, rejectedAt, ...rest }) => ({ ...rest, rejectedAt: new Date(rejectedAt).toISOString() })),
      ...(rows.length === limit ? { next: rows[rows.length - 1].id } : {}),
    };
  });
}
