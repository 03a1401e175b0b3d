/**
 * Child-process entry: a webhook receiver standing in for a destination on another machine. It
 * answers every POST with `{}` and notes when each ECID in a body (an object or an array of
 * objects with `ecid`) first arrived, on the monotonic clock (`process.hrtime`) the parent reads
 * too, and counts the requests; the parent asks for both with an `arrivals` message.
 */
import { createServer } from 'node:http';
import { monotonicMs, reportFailure, serveParent } from './protocol.ts';

try {
  const arrived = new Map<string, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = monotonicMs();
      requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { ecid?: string }[] | { ecid?: string };
      for (const item of Array.isArray(body) ? body : [body]) if (item.ecid && !arrived.has(item.ecid)) arrived.set(item.ecid, now);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  serveParent({ url }, () => new Promise<void>((resolve) => server.close(() => resolve())), {
    arrivals: () => ({ type: 'arrivals', arrivals: [...arrived], requests }),
  });
} catch (error) {
  reportFailure(error);
}
