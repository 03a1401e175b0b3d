/**
 * Streaming ingestion: `POST /api/v1/ingest/{datasetId}` with one record or an array of records,
 * JSON, optionally gzip-encoded. Valid records are durably written before the answer; invalid
 * ones are reported by index and field, and kept with their reasons.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { problems } from './common.ts';
import { recordTexts } from '../../ingest/json-spans.ts';

const Rejected = Type.Object({
  index: Type.Integer(),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
});

const IngestResult = Type.Object({
  accepted: Type.Integer({ description: 'records newly written' }),
  duplicates: Type.Integer({ description: 'valid records already in the dataset: the same _id and own timestamp, or the same _id for records without a timestamp (not written again)' }),
  rejected: Type.Array(Rejected),
  warnings: Type.Array(Type.Object({ index: Type.Integer(), path: Type.String(), message: Type.String() }), {
    description: 'problems in accepted records that did not stop them, e.g. an identity value its namespace refuses (the record and its other identities still count)',
  }),
  ids: Type.Array(Type.String(), { description: '_id of each valid record, in order (generated when absent)' }),
});

/**
 * A parsed JSON body with the text of each record (see `recordTexts`). A wrapper, not a WeakMap
 * entry keyed by the parsed value: a WeakMap insert per request cost more than the parse itself.
 */
class ParsedBody {
  constructor(
    readonly value: unknown,
    readonly texts?: (string | undefined)[],
  ) {}
}

/** One scan of the body (half the time of three `includes`) for what Fastify's parser must see. */
const MAY_NEED_POISONING_CHECKS = /__proto__|constructor|\\u/;

/**
 * JSON bodies parsed as Fastify's own parser does, keeping each record's text so ingestion can
 * store it as sent. Anything that might need its prototype-poisoning checks (a `__proto__` or
 * `constructor` key, possibly behind a \u escape), an empty body and a syntax error go to
 * Fastify's parser itself, so refusals and their messages are unchanged.
 */
function keepRecordTexts(scope: FastifyInstance): void {
  const fastifyParser = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0 || MAY_NEED_POISONING_CHECKS.test(text)) {
      return fastifyParser(request, text, (err, value) => done(err, err ? undefined : new ParsedBody(value)));
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fastifyParser(request, text, done);
    }
    done(null, new ParsedBody(value, value !== null && typeof value === 'object' ? recordTexts(text) : undefined));
  });
}

export async function ingestRoutes(parent: FastifyInstance, platform: Platform) {
  await parent.register(async (scope) => {
    keepRecordTexts(scope);
    routes(scope, platform);
  });
}

function routes(parent: FastifyInstance, { catalog, ingest, config }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/ingest/:datasetId', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['ingest'],
      summary: 'Stream records into a dataset',
      description: `One JSON record or an array of up to ${config.ingestMaxRecords} records (MERIDIAN_INGEST_MAX_RECORDS); gzip or deflate Content-Encoding accepted. 200: all valid records written; 207: some rejected (see \`rejected\`), the valid ones written; 422: none valid.`,
      params: Type.Object({ datasetId: Type.String({ minLength: 1, maxLength: 200 }) }),
      body: Type.Unknown(),
      response: { 200: IngestResult, 207: IngestResult, ...problems(400, 401, 403, 404, 413, 415, 422) },
    },
  }, async (request, reply) => {
    // Fastify also parses text/plain (other routes need it); records must come as JSON.
    if (typeof request.body === 'string' && !/^application\/([\w.-]+\+)?json\b/i.test(request.headers['content-type'] ?? '')) {
      throw problem('UNSUPPORTED_MEDIA_TYPE', `records must be sent as application/json, not ${request.headers['content-type']}`);
    }
    const dataset = await catalog.get(request.sandbox.id, request.params.datasetId);
    const parsed = request.body instanceof ParsedBody ? request.body : undefined;
    const body = parsed ? parsed.value : request.body;
    if (body === undefined || body === null || (typeof body !== 'object')) {
      throw problem('BAD_REQUEST', 'the body must be a JSON object (one record) or an array of records');
    }
    const batch = Array.isArray(body) ? body : [body];
    if (batch.length === 0) throw problem('BAD_REQUEST', 'the array holds no records');
    if (batch.length > config.ingestMaxRecords) {
      throw problem('TOO_MANY_RECORDS', `${batch.length} records in one request; the limit is ${config.ingestMaxRecords}`);
    }
    const texts = parsed?.texts;
    const outcome = await ingest.accept(request.sandbox.id, dataset, batch, { source: 'api', ...(texts ? { texts } : {}) });
    if (outcome.rejected.length === 0) return outcome;
    const errors = outcome.rejected.flatMap((r) => r.errors.map((e) => ({ ...e, index: r.index })));
    request.log.info({ dataset: dataset.id, rejected: outcome.rejected.length }, 'records rejected');
    if (outcome.accepted + outcome.duplicates === 0) {
      throw problem('RECORDS_REJECTED', errors.slice(0, 5).map((e) => `record ${e.index}: ${e.path || '(record)'} ${e.message}`).join('; '), {
        errors,
        rejected: outcome.rejected,
      });
    }
    return reply.status(207).send(outcome);
  });
}
