/**
 * Segment-spec sources. Admin: `/api/v1/sources` (write keys bound to datasets). Public, outside
 * /api/v1 and without an API key: the Segment HTTP tracking API (`POST /v1/batch`, `/v1/track`,
 * `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`) authenticated by write key.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { isJsonObject } from '../../storage/json.ts';
import { CreatedSource, Source, SourceInput } from '../../edge/segment-spec/model.ts';
import type { MessageType } from '../../edge/segment-spec/message.ts';
import { decodeBody, writeKeyOf } from '../../edge/segment-spec/wire.ts';
import { IdParams, problems } from './common.ts';

export async function sourceRoutes(parent: FastifyInstance, { sources, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType: 'source', resourceId: id });

  app.get('/sources', {
    config: { permission: 'read' },
    schema: { tags: ['sources'], summary: 'List the Segment-spec sources of the sandbox (never their write keys)', response: { 200: Type.Object({ items: Type.Array(Source) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await sources.list(request.sandbox.id) }));

  app.post('/sources', {
    config: { permission: 'write' },
    schema: {
      tags: ['sources'],
      summary: 'Create a Segment-spec source and its write key (shown once)',
      description: 'Omitted datasets are the sandbox\'s segment_events / segment_profiles (schemas segment-event / segment-profile), made when missing.',
      body: SourceInput,
      response: { 201: CreatedSource, ...problems(400, 401, 403, 422) },
    },
  }, async (request, reply) => {
    const { source, writeKey } = await sources.create(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'source.create', source.id);
    return reply.status(201).send({ ...source, writeKey });
  });

  app.get('/sources/:id', {
    config: { permission: 'read' },
    schema: { tags: ['sources'], summary: 'Get a source', params: IdParams, response: { 200: Source, ...problems(401, 403, 404) } },
  }, async (request) => sources.get(request.sandbox.id, request.params.id));

  app.delete('/sources/:id', {
    config: { permission: 'write' },
    schema: { tags: ['sources'], summary: 'Delete a source; its write key stops working at once', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await sources.delete(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'source.delete', request.params.id);
    return reply.status(204).send(null);
  });
}

const CollectResult = Type.Object({
  success: Type.Boolean({ description: 'true whenever the request was read; per-message problems are in `rejected`' }),
  accepted: Type.Integer(),
  duplicates: Type.Integer({ description: 'messages whose messageId was already stored (a client retry)' }),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'position in the batch (0 for single calls)' }),
      messageId: Type.Optional(Type.String()),
      errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
    }),
  ),
});

const SINGLE_CALLS: readonly MessageType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** The public Segment tracking API. Register in its own plugin: it replaces the body parsers of its scope. */
export async function segmentSpecRoutes(parent: FastifyInstance, { sources, config }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // JSON whatever the content type says (RudderStack labels gzip JSON as a form); gzip is
  // recognised by its bytes when Content-Encoding is missing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const read = (request: FastifyRequest) => {
    const raw = request.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw problem('INVALID_JSON', 'the body is empty; send a JSON object');
    return decodeBody(raw, config.bodyLimitBytes);
  };
  const authenticate = async (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
    reply.header('www-authenticate', 'Basic realm="meridian"');
    const auth = await sources.authenticate(writeKeyOf(request.headers.authorization, body));
    reply.removeHeader('www-authenticate');
    return auth;
  };
  const logRejected = (request: FastifyRequest, sourceId: string, rejected: { index: number; errors: { path: string; message: string }[] }[]) => {
    if (rejected.length === 0) return;
    request.log.warn({ source: sourceId, rejected: rejected.length, first: rejected[0] }, 'segment messages rejected');
  };
  const schema = (summary: string) => ({
    tags: ['segment'],
    summary,
    description: 'Public: authenticated by the source write key (Basic auth user name, or writeKey in the body), not an API key.',
    security: [],
    response: { 200: CollectResult, ...problems(400, 401, 413) },
  });

  app.post('/v1/batch', {
    schema: schema('Segment batch: { batch: [messages], sentAt?, writeKey? }; each message checked alone'),
  }, async (request, reply) => {
    const receivedAt = Date.now();
    const body = read(request);
    const auth = await authenticate(request, reply, body);
    if (!isJsonObject(body) || !Array.isArray(body.batch)) throw problem('BAD_REQUEST', 'the body must be an object with a "batch" array of messages', { errors: [{ path: 'batch', message: 'must be an array' }] });
    const result = await sources.collect(auth, body.batch, { receivedAt, batchSentAt: body.sentAt });
    logRejected(request, auth.source.id, result.rejected);
    return { success: true, ...result };
  });

  for (const type of SINGLE_CALLS) {
    app.post(`/v1/${type}`, {
      schema: schema(`Segment ${type} call: one message (its type is the path's)`),
    }, async (request, reply) => {
      const receivedAt = Date.now();
      const body = read(request);
      const auth = await authenticate(request, reply, body);
      if (!isJsonObject(body)) throw problem('BAD_REQUEST', 'the body must be one message (a JSON object)');
      const result = await sources.collect(auth, [body], { receivedAt, type });
      logRejected(request, auth.source.id, result.rejected);
      return { success: true, ...result };
    });
  }
}
