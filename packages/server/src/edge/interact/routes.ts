/**
 * Adobe Edge Network compatible endpoints, public and scoped by datastream: `POST
 * /ee[/<hint>]/v1|v2/interact`, `/ee[/<hint>]/v1|v2/collect` (beacon, 204),
 * `/ee[/<hint>]/v1/identity/acquire`, `/ee[/<hint>]/v1/privacy/set-consent`, and their OPTIONS
 * preflights. Bodies are JSON whatever the content type (alloy sends `text/plain`), at most
 * `EDGE_BODY_LIMIT` bytes. The datastream (`configId`, or `dataStreamId` as the Server API names
 * it) is resolved before the body is read: unknown → 404 without detail, origin not allowed → 403,
 * over its rate → 429. See docs/edge.md.
 *
 * @example
 *   await app.register(async (edge) => edgeInteractRoutes(edge, { datastreams, pipeline }));
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../../errors.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../storage/json.ts';
import type { ResolvedDatastream } from '../datastreams/service.ts';
import type { EdgePipeline, EdgeIdentity, PipelineResult } from '../pipeline.ts';
import { mintEcid, parseCookies } from './identity-cookie.ts';
import { consentHandle, edgeProposition, identityHandles, readInteract, requestConsent, type EventError, type Handle } from './wire.ts';

/** The largest edge request body, as the suite's (64 KB: eight 8 KB request units). */
export const EDGE_BODY_LIMIT = 64 * 1024;

export interface EdgeRouteDeps {
  datastreams: { resolveDatastream(configId: string): Promise<ResolvedDatastream | undefined> };
  pipeline: EdgePipeline;
}

const PREFIXES = ['/ee', '/ee/:hint'];

/** Reads the datastream of a public edge request, with CORS, origin check and rate limit. */
export async function admitEdgeRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  datastreams: EdgeRouteDeps['datastreams'],
  configId: unknown,
): Promise<ResolvedDatastream> {
  if (typeof configId !== 'string' || configId === '') throw problem('DATASTREAM_NOT_FOUND', 'unknown or disabled datastream: send its id as ?configId=<id>');
  const resolved = await datastreams.resolveDatastream(configId);
  if (!resolved) throw problem('DATASTREAM_NOT_FOUND', 'unknown or disabled datastream');
  const origin = request.headers.origin;
  const preflight = request.method === 'OPTIONS';
  const requestHeaders = request.headers['access-control-request-headers'];
  const cors = resolved.cors(origin, preflight ? { ...(typeof requestHeaders === 'string' ? { requestHeaders } : {}) } : undefined);
  // A browser from an origin the datastream does not list: refused before any work or write. A
  // page served by Meridian itself (same origin: browsers send Origin on every POST) needs no grant.
  if (origin && !cors && !isSameOrigin(request, origin)) throw problem('EDGE_ORIGIN_FORBIDDEN', 'this origin may not call this datastream');
  if (cors) reply.headers(cors);
  if (!preflight) {
    const rate = resolved.admit();
    if (!rate.allowed) {
      reply.header('retry-after', String(rate.retryAfterSeconds));
      throw problem('EDGE_RATE_LIMITED', `the datastream's rate limit is reached; retry after ${rate.retryAfterSeconds} s`);
    }
  }
  return resolved;
}

/** Whether the Origin header names the host the request was sent to (a page this server served). */
function isSameOrigin(request: FastifyRequest, origin: string): boolean {
  try {
    return new URL(origin).host === request.headers.host && new URL(origin).protocol.replace(':', '') === request.protocol;
  } catch {
    return false;
  }
}

/** The body as a JSON object (any content type), or a 400 problem. */
export function jsonBody(body: unknown, required: boolean): JsonObject {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    if (required) throw problem('INVALID_JSON', 'the body is empty; send a JSON object');
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw problem('INVALID_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw problem('BAD_REQUEST', 'the body must be a JSON object');
  return parsed;
}

function warningsOf(result: PipelineResult, indexes: readonly number[]): JsonValue[] {
  const out: JsonValue[] = [];
  result.events.forEach((outcome, i) => {
    for (const w of outcome.warnings) {
      out.push({
        type: outcome.rejected ? 'https://meridian.dev/warnings/EDGE_EVENT_NOT_STORED' : 'https://meridian.dev/warnings/EDGE_FIELD_DROPPED',
        status: 200,
        title: outcome.rejected ? 'The event was answered but not stored' : 'A field is not in the dataset schema',
        detail: `${w.path} ${w.message}`,
        report: { eventIndex: indexes[i], path: w.path },
      });
    }
  });
  return out;
}

export async function edgeInteractRoutes(parent: FastifyInstance, deps: EdgeRouteDeps): Promise<void> {
  const app = parent;
  const admitted = new WeakMap<FastifyRequest, ResolvedDatastream>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: EDGE_BODY_LIMIT }, (_request, body, done) => done(null, body));
  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    admitted.set(request, await admitEdgeRequest(request, reply, deps.datastreams, query.configId ?? query.dataStreamId ?? query.datastreamId));
  });
  const datastreamOf = (request: FastifyRequest): ResolvedDatastream => {
    const resolved = admitted.get(request);
    if (!resolved) throw problem('DATASTREAM_NOT_FOUND', 'unknown or disabled datastream');
    return resolved;
  };
  const requestIdOf = (request: FastifyRequest): string => {
    const id = (request.query as Record<string, unknown>).requestId;
    return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : randomUUID();
  };
  const schema = (summary: string) => ({
    tags: ['edge'],
    summary,
    description: 'Public: scoped by the datastream in ?configId= (no API key). Body: JSON, any content type (alloy sends text/plain). See docs/edge.md.',
    security: [],
  });

  /** Interact and collect share the path through the pipeline. */
  const handle = async (request: FastifyRequest, decisions: boolean) => {
    const resolved = datastreamOf(request);
    const { datastream, sandboxId } = resolved;
    const body = jsonBody(request.body, true);
    const userAgent = request.headers['user-agent'];
    const read = readInteract(body, { cookies: parseCookies(request.headers.cookie), prefix: datastream.cookiePrefix, ...(userAgent ? { userAgent } : {}) });
    if (read.events.length === 0 && read.errors.length === 0) {
      throw problem('BAD_REQUEST', 'send the events as "events": [{ xdm, data?, query? }] (or "event" for /v2)', { errors: [{ path: 'events', message: 'must be a non-empty array' }] });
    }
    const ecid = read.ecid ?? mintEcid();
    const identities: EdgeIdentity[] = read.identities.some((i) => i.namespace === 'ECID' && i.id === ecid)
      ? read.identities
      : [...read.identities, { namespace: 'ECID', id: ecid, ...(read.ecid ? {} : { fresh: true }) }];
    const result = await deps.pipeline.run({
      sandboxId,
      datastream,
      deviceId: ecid,
      identities,
      events: read.events.map(({ input }) => (decisions ? input : { ...input, scopes: [] })),
      consent: read.consent,
      now: Date.now(),
      write: true,
    });
    return { ecid, read, result, datastream };
  };

  for (const prefix of PREFIXES) {
    for (const version of ['v1', 'v2']) {
      app.post(`${prefix}/${version}/interact`, { schema: schema('Edge Network interact: identities, edge audiences and decisions in the same request; events written durably') }, async (request, reply) => {
        const { ecid, read, result, datastream } = await handle(request, true);
        const indexes = read.events.map((e) => e.index);
        const handles: Handle[] = identityHandles(ecid, datastream.cookiePrefix);
        result.events.forEach((outcome, i) => {
          if (read.events[i].input.scopes.length === 0 && outcome.propositions.length === 0) return;
          handles.push({ type: 'personalization:decisions', payload: outcome.propositions.map(edgeProposition), eventIndex: indexes[i] });
        });
        if (datastream.services.audiences && result.consent.personalize) {
          handles.push({
            type: 'meridian:audiences',
            payload: Object.entries(result.memberships).map(([id, status]) => ({ id, status, ...(result.qualified.includes(id) ? { edge: true } : {}) })),
          });
        }
        const errors: EventError[] = read.errors;
        const warnings = warningsOf(result, indexes);
        return reply.status(errors.length > 0 ? 207 : 200).type('application/json').send({
          requestId: requestIdOf(request),
          handle: handles,
          ...(errors.length > 0 ? { errors } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
        });
      });
      app.post(`${prefix}/${version}/collect`, { schema: schema('Edge Network collect (sendBeacon): events written durably, no content') }, async (request, reply) => {
        await handle(request, false);
        return reply.status(204).send();
      });
    }
    app.post(`${prefix}/v1/identity/acquire`, { schema: schema('Edge Network identity acquire: the ECID (minted when the request has none) and its cookie') }, async (request, reply) => {
      const { datastream } = datastreamOf(request);
      const body = jsonBody(request.body, false);
      const read = readInteract(body, { cookies: parseCookies(request.headers.cookie), prefix: datastream.cookiePrefix });
      const ecid = read.ecid ?? mintEcid();
      return reply.type('application/json').send({ requestId: requestIdOf(request), handle: identityHandles(ecid, datastream.cookiePrefix) });
    });
    app.post(`${prefix}/v1/privacy/set-consent`, { schema: schema('Edge Network set-consent: stores the consent cookie (general=in|out) the edge honours') }, async (request, reply) => {
      const { datastream } = datastreamOf(request);
      const body = jsonBody(request.body, true);
      const cookies = parseCookies(request.headers.cookie);
      const read = readInteract(body, { cookies, prefix: datastream.cookiePrefix });
      const verdict = requestConsent(body, {}, new Map(), datastream.cookiePrefix);
      const ecid = read.ecid ?? mintEcid();
      return reply.type('application/json').send({
        requestId: requestIdOf(request),
        handle: [...identityHandles(ecid, datastream.cookiePrefix), consentHandle(datastream.cookiePrefix, verdict.collect ? 'in' : 'out')],
      });
    });
  }
  app.options('/ee/*', { schema: { ...schema('CORS preflight for the edge endpoints'), hide: true } }, async (_request, reply) => reply.status(204).send());
}
