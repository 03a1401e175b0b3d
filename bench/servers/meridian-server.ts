/**
 * Child-process entry: the real Meridian server (`startServer`) configured from the MERIDIAN_*
 * environment the benchmark passes (temporary data dir, port 0, silent logs, fixed admin key).
 */
import { loadConfig } from '../../packages/server/src/app/config.ts';
import { startServer } from '../../packages/server/src/app/start.ts';
import { reportFailure, serveParent } from './protocol.ts';

try {
  const running = await startServer(loadConfig(), { printKey: false });
  serveParent({ url: running.url.replace('localhost', '127.0.0.1') }, () => running.stop());
} catch (error) {
  reportFailure(error);
}
