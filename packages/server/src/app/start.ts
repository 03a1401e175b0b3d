/**
 * Starts Meridian: platform, bootstrap (printing a new admin key once), HTTP server, background
 * workers. Used by `npm start`, the CLI and integration tests (with port 0).
 *
 * @example
 *   const running = await startServer(loadConfig({ MERIDIAN_PORT: '0', MERIDIAN_DATA_DIR: dir }));
 *   running.url; // http://127.0.0.1:41234
 */
import type { Config } from './config.ts';
import { bootstrapPlatform, openPlatform, type Platform } from './platform.ts';
import { buildServer, type App } from './server.ts';

export interface RunningServer {
  url: string;
  app: App;
  platform: Platform;
  adminKey?: string;
  stop(): Promise<void>;
}

export async function startServer(config: Readonly<Config>, options: { printKey?: boolean } = {}): Promise<RunningServer> {
  const platform = await openPlatform(config);
  // The threads load while the platform bootstraps and the routes are built; ready before the first request.
  const threads = platform.startThreads();
  const boot = await bootstrapPlatform(platform);
  const app = await buildServer(platform);
  await threads;
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const url = `${config.tlsCert && config.tlsKey ? 'https' : 'http'}://${host}:${port}`;
  if (boot.adminKey && options.printKey !== false) {
    process.stdout.write(
      `\nMeridian created organization, sandbox "prod" and an admin API key (shown once):\n\n  ${boot.adminKey}\n\n` +
        `Use it as "Authorization: Bearer <key>". Set MERIDIAN_ADMIN_KEY to choose the key yourself.\n\n`,
    );
  }
  app.log.info({ url, dataDir: config.dataDir }, 'Meridian is serving');
  const batches = await platform.batches.resumeInterrupted();
  if (batches.resumed + batches.failed > 0) app.log.info(batches, 'unfinished batches resumed or failed');
  return {
    url,
    app,
    platform,
    ...(boot.adminKey ? { adminKey: boot.adminKey } : {}),
    async stop() {
      await app.close();
      await platform.close();
    },
  };
}
