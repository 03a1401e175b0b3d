/**
 * The Target Delivery API, public and scoped by datastream: `POST /rest/v1/delivery` with
 * `imsOrgId` (what `@adobe/target-nodejs-sdk` sends), `client` or `configId` in the query (see
 * clients.ts for the mapping). `execute` decides now and counts impressions; `prefetch` returns
 * options with eventTokens and counts nothing until a display notification; `notifications[]`
 * record displays and clicks. Never answers `edgeHost` or a tntId with a location suffix: the SDK
 * would send its next calls to the vendor's hosts. See docs/edge.md.
 *
 * @example
 *   await app.register(async (target) => targetDeliveryRoutes(target, { datastreams, sandboxIds, pipeline }));
 */
import type { FastifyInstance } from 'fastify';
import { problem } from '../../errors.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import type { ResolvedDatastream } from '../datastreams/service.ts';
import type { Datastream } from '../datastreams/model.ts';
import { admitEdgeRequest, jsonBody } from '../interact/routes.ts';
import type { EdgePipeline } from '../pipeline.ts';
import { clientCodeOf, TargetClients } from './clients.ts';
import { readDelivery, targetOptions, type DeliveryAsk } from './wire.ts';
import { buildArtifact } from './artifact.ts';
import type { DecisionSnapshot } from '../../decisioning/snapshot.ts';

/** Target allows up to 50 mboxes with parameters; a larger limit than the Edge Network's. */
export const DELIVERY_BODY_LIMIT = 256 * 1024;

export interface DeliveryRouteDeps {
  datastreams: {
    resolveDatastream(configId: string): Promise<ResolvedDatastream | undefined>;
    list(sandboxId: string): Promise<Datastream[]>;
  };
  sandboxIds(): Promise<string[]>;
  pipeline: EdgePipeline;
  /** The sandbox's live-activity snapshot, for the on-device rules artifact. */
  snapshot(sandboxId: string): DecisionSnapshot;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

export async function targetDeliveryRoutes(app: FastifyInstance, deps: DeliveryRouteDeps): Promise<void> {
  const clients = new TargetClients({ sandboxIds: deps.sandboxIds, list: (s) => deps.datastreams.list(s) });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: DELIVERY_BODY_LIMIT }, (_request, body, done) => done(null, body));

  const admit = async (query: Record<string, unknown>, request: Parameters<typeof admitEdgeRequest>[0], reply: Parameters<typeof admitEdgeRequest>[1]) => {
    const imsOrgId = text(query.imsOrgId);
    const client = text(query.client);
    const configId = text(query.configId);
    const id = await clients.find({ ...(configId ? { configId } : {}), ...(imsOrgId ? { imsOrgId } : {}), ...(client ? { client } : {}) });
    return admitEdgeRequest(request, reply, deps.datastreams, id);
  };

  app.get('/rest/v1/artifact/rules.json', {
    schema: {
      tags: ['edge'],
      summary: "Target on-device decisioning artifact (rules.json) for the datastream's activities that need no profile data",
      description: 'Public: the datastream as for /rest/v1/delivery (?imsOrgId=, ?client=, ?configId=). Point the Node SDK at it with decisioningMethod "on-device" and artifactLocation. See docs/edge.md.',
      security: [],
    },
  }, async (request, reply) => {
    const { datastream, sandboxId } = await admit(request.query as Record<string, unknown>, request, reply);
    return reply.type('application/json').header('cache-control', 'max-age=60').send(buildArtifact(deps.snapshot(sandboxId), { organizationId: datastream.orgId }));
  });

  app.options('/rest/v1/delivery', { schema: { hide: true } }, async (request, reply) => {
    await admit(request.query as Record<string, unknown>, request, reply);
    return reply.status(204).send();
  });

  app.post('/rest/v1/delivery', {
    schema: {
      tags: ['edge'],
      summary: 'Target Delivery API: execute (pageLoad, mboxes), prefetch (pageLoad, mboxes, views), notifications',
      description: 'Public: the datastream is found by ?imsOrgId= (its orgId), ?client= (its orgId before @, or its name) or ?configId=. Body: a Target DeliveryRequest. See docs/edge.md.',
      security: [],
    },
  }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const sessionId = query.sessionId;
    if (sessionId !== undefined && (typeof sessionId !== 'string' || !/^[^\s?/]{1,128}$/.test(sessionId))) {
      throw problem('BAD_REQUEST', 'sessionId must be 1-128 printable characters without spaces, "?" or "/"', { errors: [{ path: 'sessionId', message: 'is malformed' }] });
    }
    const { datastream, sandboxId } = await admit(query, request, reply);
    const body = jsonBody(request.body, true);
    const read = readDelivery(body);
    if (read.fieldErrors.length > 0) {
      throw problem('VALIDATION_FAILED', read.fieldErrors.map((e) => `${e.path} ${e.message}`).join('; '), { errors: read.fieldErrors });
    }
    const result = await deps.pipeline.run({
      sandboxId,
      datastream,
      deviceId: read.deviceId,
      identities: read.identities,
      events: read.asks.map((ask) => ({ xdm: {}, scopes: [ask.scope], context: ask.context, countImpressions: ask.section === 'execute' })),
      notifications: read.notifications,
      consent: { collect: true, personalize: true },
      now: Date.now(),
      write: false,
    });
    const optionsOf = (i: number, ask: DeliveryAsk): JsonValue[] =>
      result.events[i].propositions.flatMap((p) => targetOptions(p, ask.section === 'prefetch', ask.context.geo));
    const sections: Record<'execute' | 'prefetch', JsonObject> = { execute: {}, prefetch: {} };
    read.asks.forEach((ask, i) => {
      const section = sections[ask.section];
      const options = optionsOf(i, ask);
      if (ask.kind === 'pageLoad') section.pageLoad = { options, metrics: [] };
      else if (ask.kind === 'mbox') ((section.mboxes ??= []) as JsonValue[]).push({ index: ask.index ?? 0, name: ask.name ?? '', options, metrics: [] });
      else ((section.views ??= []) as JsonValue[]).push({ ...(ask.name ? { name: ask.name } : {}), options, metrics: [] });
    });
    // `context.beacon: true` (at.js on unload): recorded, nothing to answer.
    if ((body.context as JsonObject).beacon === true) return reply.status(204).send();
    const mcid = (body.id as JsonObject | undefined)?.marketingCloudVisitorId;
    return reply.type('application/json').send({
      status: 200,
      requestId: read.requestId,
      client: clientCodeOf(datastream),
      id: { tntId: read.tntId, ...(typeof mcid === 'string' ? { marketingCloudVisitorId: mcid } : {}) },
      ...(body.execute !== undefined ? { execute: sections.execute } : {}),
      ...(body.prefetch !== undefined ? { prefetch: sections.prefetch } : {}),
      ...(read.notificationIds.length > 0 ? { notifications: read.notificationIds.map((id) => ({ id })) } : {}),
    });
  });
}
