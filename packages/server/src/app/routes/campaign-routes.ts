/**
 * Campaign log routes: upload a Campaign delivery, tracking or quarantine export (the raw body,
 * CSV or JSON lines, never buffered); it becomes a batch of experience events in the sandbox's
 * `campaign_events` dataset. Thin: the work is in `campaign/service.ts`.
 */
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Batch } from '../../ingest/batch/model.ts';
import { resolveFormat } from '../../ingest/batch/formats.ts';
import { problem } from '../../errors.ts';
import { LOG_KINDS } from '../../campaign/log-mapping.ts';
import { problems } from './common.ts';

const LogParams = Type.Object({
  kind: Type.Union(LOG_KINDS.map((k) => Type.Literal(k)), { description: 'broadlog (delivery log), tracking (opens, clicks, opt-outs), quarantine (non-deliverable addresses)' }),
});

const LogQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')], { description: 'wins over the Content-Type' })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, description: 'CSV delimiter (default ","); Campaign exports often use ";" or a tab' })),
});

const LogImportAnswer = Type.Object({
  batch: Batch,
  eventDataset: Type.Object({ id: Type.String(), name: Type.String() }),
  profileDataset: Type.Object({ id: Type.String(), name: Type.String() }),
  profileUpdates: Type.Integer({ minimum: 0, description: 'profile records written (deliverability, email consent)' }),
});

export async function campaignRoutes(parent: FastifyInstance, platform: Platform) {
  // Own scope: the body is a file, handed to the handler as a stream.
  await parent.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    routes(scope, platform);
  });
}

function routes(scope: FastifyInstance, { campaign }: Platform) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/campaign/logs/:kind', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['campaign'],
      summary: 'Import a Campaign log export (broadLog, trackingLog, quarantine) as experience events',
      description:
        'The file is the raw body (CSV with a header of Campaign column names, or JSON lines of objects with those names; gzip Content-Encoding accepted). ' +
        'Each row becomes an experience event (directMarketing.emailSent|emailDelivered|emailBounced|emailBouncedSoft|emailOpened|emailClicked|emailUnsubscribed) ' +
        'with identityMap Email and CRMID, ingested as a batch into the sandbox’s campaign_events dataset (created on first use); bad rows are rejected alone (GET /batches/{id}/rejections). ' +
        'Hard bounces, quarantine, denylist and opt-outs also update the person’s profile (personalEmail.status, consents.marketing.email) through campaign_profiles. See docs/campaign.md.',
      consumes: ['text/csv', 'application/x-ndjson'],
      params: LogParams,
      querystring: LogQuery,
      body: Type.Unknown({ description: 'the Campaign export itself' }),
      response: { 202: LogImportAnswer, ...problems(400, 401, 403, 409, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const format = resolveFormat(request.query.format, request.headers['content-type']);
    if (format === 'parquet') throw problem('UNSUPPORTED_MEDIA_TYPE', 'Campaign logs are read as CSV or JSON lines');
    try {
      const result = await campaign.importLog({
        sandboxId: request.sandbox.id,
        kind: request.params.kind,
        format,
        ...(request.query.delimiter ? { delimiter: request.query.delimiter } : {}),
        body: request.body instanceof Readable ? request.body : request.raw,
      });
      return await reply.status(202).send({
        batch: result.batch,
        eventDataset: { id: result.eventDataset.id, name: result.eventDataset.name },
        profileDataset: { id: result.profileDataset.id, name: result.profileDataset.name },
        profileUpdates: result.profileUpdates,
      });
    } catch (err) {
      // The rest of a refused upload may still be on its way: close the connection rather than read it all.
      reply.header('connection', 'close');
      throw err;
    }
  });
}
