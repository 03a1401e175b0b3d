/**
 * Batch file ingestion routes: upload a CSV, JSON lines or Parquet file into a dataset (the raw
 * body, streamed to disk), follow the batch, and read or download its rejected rows. Thin: the
 * work is in `ingest/batch/service.ts`.
 */
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Batch, BatchFormat } from '../../ingest/batch/model.ts';
import { BATCH_MEDIA_TYPES, resolveFormat } from '../../ingest/batch/formats.ts';
import { parseMapping } from '../../ingest/batch/column-plan.ts';
import { allRejections, rejectionsAsCsv, rejectionsAsJsonLines } from '../../ingest/batch/rejection-export.ts';
import { IdParams, problems } from './common.ts';

const MAPPING_HEADER = 'x-meridian-mapping';

const UploadQuery = Type.Object({
  format: Type.Optional(BatchFormat),
  mapping: Type.Optional(
    Type.String({ maxLength: 65_536, description: 'JSON object: source column → schema dot path, or null to ignore the column (also accepted as the x-meridian-mapping header)' }),
  ),
  ignoreUnknownColumns: Type.Optional(Type.Boolean({ default: false, description: 'skip columns that are neither mapped nor schema paths instead of refusing the file' })),
});

const BatchParams = Type.Object({ batchId: Type.String({ minLength: 1, maxLength: 200 }) });

const Rejection = Type.Object({
  id: Type.Integer(),
  row: Type.Integer({ description: '1-based data row, header excluded (JSON lines: the line number)' }),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
  original: Type.Unknown({ description: 'the row as read: column → value (CSV, Parquet) or the line’s value (JSON lines)' }),
  rejectedAt: Type.String({ format: 'date-time' }),
});

const RejectionPageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.Integer({ minimum: 0, description: 'the `next` value of the previous page' })),
});

export async function batchRoutes(parent: FastifyInstance, platform: Platform) {
  // Own scope: every body here is a file, handed to the handler as a stream (never buffered).
  await parent.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    routes(scope, platform);
  });
}

function routes(scope: FastifyInstance, { batches, config }: Platform) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/datasets/:id/batches', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['batches'],
      summary: 'Upload a file (CSV, JSON lines or Parquet) into a dataset',
      description:
        `The file is the raw request body (gzip Content-Encoding accepted), up to ${config.batchMaxBytes} bytes (MERIDIAN_BATCH_MAX_BYTES). ` +
        'Format from `?format=` or the Content-Type. CSV headers and Parquet columns are schema dot paths unless `mapping` says otherwise. ' +
        '202: stored and processing (poll GET /batches/{batchId}); 422 INVALID_MAPPING: a column is not a schema field; 422 INVALID_FILE: empty or unreadable.',
      consumes: BATCH_MEDIA_TYPES,
      params: IdParams,
      querystring: UploadQuery,
      // Unconstrained on purpose: the body is the file's byte stream, never parsed or buffered here.
      body: Type.Unknown({ description: 'the file itself: CSV (header row), JSON lines, or Parquet bytes' }),
      response: { 202: Batch, ...problems(400, 401, 403, 404, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const headers = request.headers;
    const encoded = headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity';
    const mappingHeader = headers[MAPPING_HEADER];
    try {
      const mapping = parseMapping(request.query.mapping ?? (typeof mappingHeader === 'string' ? mappingHeader : undefined));
      const batch = await batches.upload({
        sandboxId: request.sandbox.id,
        dataset: request.params.id,
        format: resolveFormat(request.query.format, headers['content-type']),
        ...(mapping ? { mapping } : {}),
        ignoreUnknownColumns: request.query.ignoreUnknownColumns ?? false,
        body: request.body instanceof Readable ? request.body : request.raw,
        ...(!encoded && headers['content-length'] ? { declaredBytes: Number(headers['content-length']) } : {}),
      });
      return await reply.status(202).send(batch);
    } catch (err) {
      // The rest of a refused upload may still be on its way: close the connection rather than read it all.
      reply.header('connection', 'close');
      throw err;
    }
  });

  app.get('/datasets/:id/batches', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['batches'],
      summary: 'Batches of a dataset, newest first',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.String({ maxLength: 100 })) }),
      response: { 200: Type.Object({ items: Type.Array(Batch), next: Type.Optional(Type.String()) }), ...problems(401, 403, 404) },
    },
  }, async (request) =>
    batches.listByDataset(request.sandbox.id, request.params.id, { limit: request.query.limit ?? 100, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
  );

  app.get('/batches/:batchId', {
    config: { permission: 'ingest' },
    schema: { tags: ['batches'], summary: 'Status, counts and progress of a batch', params: BatchParams, response: { 200: Batch, ...problems(401, 403, 404) } },
  }, async (request) => batches.get(request.sandbox.id, request.params.batchId));

  app.get('/batches/:batchId/rejections', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['batches'],
      summary: 'Rejected rows of a batch with their reasons, in row order',
      params: BatchParams,
      querystring: RejectionPageQuery,
      response: { 200: Type.Object({ items: Type.Array(Rejection), next: Type.Optional(Type.Integer()) }), ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const items = await batches.listRejections(request.sandbox.id, request.params.batchId, { afterId: request.query.cursor ?? 0, limit });
    return { items, ...(items.length === limit ? { next: items[items.length - 1].id } : {}) };
  });

  for (const [extension, mediaType, render] of [
    ['csv', 'text/csv; charset=utf-8', rejectionsAsCsv],
    ['jsonl', 'application/x-ndjson', rejectionsAsJsonLines],
  ] as const) {
    app.get(`/batches/:batchId/rejections.${extension}`, {
      config: { permission: 'ingest' },
      schema: {
        tags: ['batches'],
        summary: `Download every rejected row of a batch as ${extension === 'csv' ? 'CSV (row, path, reason, original)' : 'JSON lines'}`,
        params: BatchParams,
      },
    }, async (request, reply) => {
      const { batchId } = request.params;
      await batches.get(request.sandbox.id, batchId); // 404 before the download starts
      const pages = allRejections((page) => batches.listRejections(request.sandbox.id, batchId, page));
      return reply
        .type(mediaType)
        .header('content-disposition', `attachment; filename="${batchId}-rejections.${extension}"`)
        .send(Readable.from(render(pages)));
    });
  }
}
