/**
 * Child-process entry: the baseline, a bare Fastify server with no logging, no auth, no
 * validation and no storage. Its one route has Meridian's streaming-ingest path, parses the same
 * JSON body and answers JSON the size of Meridian's answer to one record.
 */
import Fastify from 'fastify';
import { reportFailure, serveParent } from './protocol.ts';

try {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
  app.post('/api/v1/ingest/:datasetId', async (request) => {
    const record = request.body as { _id?: unknown };
    return { accepted: 1, duplicates: 0, rejected: [], ids: [String(record._id)] };
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  serveParent({ url: address }, () => app.close());
} catch (error) {
  reportFailure(error);
}
