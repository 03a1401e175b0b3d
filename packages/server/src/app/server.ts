/**
 * The HTTP server: Fastify with TypeBox schemas as the single source of request validation,
 * OpenAPI 3.1 and types; problem+json errors; gzip request bodies; health, metrics and docs;
 * the admin API under /api/v1 behind API keys.
 *
 * @example
 *   const app = await buildServer(platform);
 *   await app.listen({ port: 0, host: '127.0.0.1' });
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createGunzip, createInflate } from 'node:zlib';
import type { Platform } from './platform.ts';
import { registerAuth } from './auth.ts';
import { sendProblem } from './http-errors.ts';
import { problem } from '../errors.ts';
import { tenancyRoutes } from './routes/tenancy-routes.ts';
import { schemaRoutes } from './routes/schema-routes.ts';
import { datasetRoutes } from './routes/dataset-routes.ts';
import { ingestRoutes } from './routes/ingest-routes.ts';
import { batchRoutes } from './routes/batch-routes.ts';
import { systemRoutes } from './routes/system-routes.ts';
import { identityRoutes } from './routes/identity-routes.ts';
import { profileRoutes } from './routes/profile-routes.ts';
import { privacyRoutes } from './routes/privacy-routes.ts';
import { audienceRoutes } from './routes/audience-routes.ts';
import { externalAudienceRoutes } from './routes/external-audience-routes.ts';
import { queryRoutes } from './routes/query-routes.ts';
import { datastreamRoutes } from './routes/datastream-routes.ts';
import { segmentSpecRoutes, sourceRoutes } from './routes/source-routes.ts';
import { computedAttributeRoutes } from './routes/computed-attribute-routes.ts';
import { audienceJobRoutes } from './routes/audience-job-routes.ts';
import { governanceRoutes } from './routes/governance-routes.ts';
import { activationRoutes } from './routes/activation-routes.ts';
import { decisioningRoutes } from './routes/decisioning-routes.ts';
import { campaignRoutes } from './routes/campaign-routes.ts';
import { edgeInteractRoutes } from '../edge/interact/routes.ts';
import { targetDeliveryRoutes } from '../edge/delivery/routes.ts';
import { tlsServerOptions } from '../edge/tls.ts';
import { sdkRoutes } from '../edge/sdk/sdk-routes.ts';

export type App = FastifyInstance;

export interface ServerOptions {
  /** Extra route plugins under /api/v1 (later domains register here). */
  apiPlugins?: ((api: FastifyInstance, platform: Platform) => Promise<void>)[];
  logger?: boolean;
}

export async function buildServer(platform: Platform, options: ServerOptions = {}): Promise<App> {
  const { config } = platform;
  const app = Fastify({
    logger: options.logger === false || config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    // Per-request lines cost throughput on the hot path; refusals and failures are logged by sendProblem.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    // https when MERIDIAN_TLS_CERT / MERIDIAN_TLS_KEY are set (the Adobe Web SDK needs it).
    ...tlsServerOptions(config),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((error, request, reply) => sendProblem(error as Error, request, reply));
  app.setNotFoundHandler((request, reply) => sendProblem(problem('NOT_FOUND', `no route ${request.method} ${request.url}`), request, reply));

  // Bodies may be gzip- or deflate-encoded whatever their content type; the body limit applies
  // to the decoded bytes, so a small bomb cannot expand past it.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (!encoding || encoding === 'identity') return payload;
    const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : undefined;
    if (!decoder) throw problem('UNSUPPORTED_MEDIA_TYPE', `content-encoding "${encoding}" is not supported (use gzip or deflate)`);
    // Fastify compares Content-Length with the bytes it reads; this tells it the encoded count.
    const decoded = Object.assign(decoder, { receivedEncodedLength: 0 });
    payload.on('data', (chunk: Buffer) => {
      decoded.receivedEncodedLength += chunk.length;
    });
    // Fastify listens for decoding errors only while it reads the body; one raised after it has
    // answered (415, 413) or when it never reads must not become an uncaught exception.
    decoded.on('error', () => {});
    return payload.pipe(decoded);
  });

  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Meridian API',
        version: '0.1.0',
        description:
          'Self-hosted real-time customer data platform. Admin calls need `Authorization: Bearer <api key>`; the sandbox is chosen with the `x-sandbox-name` header (default `prod`). Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(async (system) => systemRoutes(system, platform));
  // The Segment tracking API is public (write keys, no API key) and parses its own bodies.
  await app.register(async (segment) => segmentSpecRoutes(segment, platform));
  // The Adobe Edge Network endpoints are public (scoped by datastream) and parse their own bodies.
  await app.register(async (edge) => edgeInteractRoutes(edge, { datastreams: platform.datastreams, pipeline: platform.edge }));
  await app.register(async (target) =>
    targetDeliveryRoutes(target, {
      datastreams: platform.datastreams,
      sandboxIds: async () => (await platform.tenancy.listSandboxes()).map((s) => s.id),
      pipeline: platform.edge,
      snapshot: (sandboxId) => platform.decisioning.snapshot(sandboxId),
    }),
  );
  // The browser SDK (/sdk/meridian.js) and the demo storefront (/demo/) are public static files.
  await app.register(async (sdk) => sdkRoutes(sdk, { datastreams: platform.datastreams }));
  await app.register(
    async (api) => {
      registerAuth(api, platform.tenancy);
      await tenancyRoutes(api, platform);
      await schemaRoutes(api, platform);
      await datasetRoutes(api, platform);
      await ingestRoutes(api, platform);
      await batchRoutes(api, platform);
      await identityRoutes(api, platform);
      await profileRoutes(api, platform);
      await privacyRoutes(api, platform);
      await audienceRoutes(api, platform);
      await externalAudienceRoutes(api, platform);
      await audienceJobRoutes(api, platform);
      await queryRoutes(api, platform);
      await datastreamRoutes(api, platform);
      await sourceRoutes(api, platform);
      await computedAttributeRoutes(api, platform);
      await governanceRoutes(api, platform);
      await activationRoutes(api, platform);
      await decisioningRoutes(api, platform);
      await campaignRoutes(api, platform);
      for (const plugin of options.apiPlugins ?? []) await plugin(api, platform);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
