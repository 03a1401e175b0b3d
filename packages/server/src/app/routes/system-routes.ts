/** Public operational endpoints: liveness/readiness, Prometheus metrics and the OpenAPI description. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Platform } from '../platform.ts';

export async function systemRoutes(app: FastifyInstance, platform: Platform) {
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness and readiness',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok'), storage: Type.String(), uptimeSeconds: Type.Number() }) },
      },
    },
    async () => {
      platform.db.prepare('SELECT 1').get(); // readiness: the record store answers
      return { status: 'ok' as const, storage: 'embedded', uptimeSeconds: Math.round(process.uptime()) };
    },
  );
  // The OpenAPI 3.1 description the design promises at this address (the docs UI reads /docs/json).
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics', security: [] } }, async (_request, reply) => {
    reply.type(platform.metrics.registry.contentType);
    return platform.metrics.registry.metrics();
  });
}
