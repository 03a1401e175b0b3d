/**
 * Child-process entry: the edge baseline, a bare Fastify server with no logging, no datastream,
 * no identity, no audiences, no decisions and no storage. It parses the same text/plain JSON
 * body as `/ee/v1/interact` and answers a JSON body of `BARE_EDGE_ANSWER_BYTES` (set by the
 * benchmark to the size of Meridian's answer).
 */
import Fastify from 'fastify';
import { reportFailure, serveParent } from './protocol.ts';

try {
  const size = Number(process.env.BARE_EDGE_ANSWER_BYTES ?? '2000');
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.post('/ee/v1/interact', async (request) => {
    const body = request.body as { events?: unknown[] };
    const filler = 'x'.repeat(Math.max(0, size - 120));
    return { requestId: String(body.events?.length ?? 0), handle: [{ type: 'identity:result', payload: [{ id: filler, namespace: { code: 'ECID' } }] }] };
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  serveParent({ url: address }, () => app.close());
} catch (error) {
  reportFailure(error);
}
