/**
 * The query service over HTTP: `POST /api/v1/query` runs one read-only SQL statement against the
 * sandbox's datasets (each a table named by the dataset) and answers rows as JSON.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problems } from './common.ts';

export async function queryRoutes(parent: FastifyInstance, { query, config }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  const QueryRequest = Type.Object(
    {
      sql: Type.String({ minLength: 1, maxLength: 100_000, description: 'one read-only statement: SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN' }),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: config.queryMaxRows, description: `rows returned at most (default and maximum ${config.queryMaxRows}, MERIDIAN_QUERY_MAX_ROWS)` })),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: config.queryTimeoutMs, description: `time limit (default and maximum ${config.queryTimeoutMs} ms, MERIDIAN_QUERY_TIMEOUT_MS)` })),
    },
    { additionalProperties: false },
  );

  const QueryResponse = Type.Object({
    columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String({ description: 'DuckDB type, e.g. VARCHAR, TIMESTAMP WITH TIME ZONE, STRUCT(...)' }) })),
    rows: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'one object per row; nested values as JSON, timestamps as ISO 8601' }),
    rowCount: Type.Integer(),
    truncated: Type.Boolean({ description: 'true when the query had more rows than the limit' }),
    elapsedMs: Type.Integer(),
  });

  app.post('/query', {
    config: { permission: 'read' },
    schema: {
      tags: ['query'],
      summary: 'Run read-only SQL over the datasets of the sandbox',
      description:
        'Each dataset of the sandbox is a table named by the dataset, with typed columns from its schema (`SELECT web.webPageDetails.name FROM web_events`) ' +
        'and the system columns `_seq`, `_ingested_at`, `_batch_id`, `_record_time`. Only this sandbox’s data can be read; files, network, ' +
        'extensions and settings are locked. 422 QUERY_REJECTED: not a single read-only statement; 422 QUERY_FAILED: the SQL is wrong; 408 QUERY_TIMEOUT.',
      body: QueryRequest,
      response: { 200: QueryResponse, ...problems(400, 401, 403, 408, 422) },
    },
  }, async (request) =>
    query.query(request.sandbox.id, request.body.sql, {
      maxRows: request.body.limit ?? config.queryMaxRows,
      timeoutMs: request.body.timeoutMs ?? config.queryTimeoutMs,
    }),
  );
}
