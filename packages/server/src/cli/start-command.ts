/**
 * `meridian start`: what `npm start` does (configuration from the environment, the admin key
 * printed on first start), with `--port` and `--data-dir` as shorthands for MERIDIAN_PORT and
 * MERIDIAN_DATA_DIR. Stops cleanly on SIGINT, SIGTERM or SIGHUP.
 */
import { Command } from 'commander';

export function startCommand(): Command {
  return new Command('start')
    .description('start the Meridian server (configured by MERIDIAN_* environment variables)')
    .option('--port <port>', 'port to listen on (env MERIDIAN_PORT, default 8080)')
    .option('--data-dir <dir>', 'data directory (env MERIDIAN_DATA_DIR, default ./data)')
    .option('--demo', 'load the demo retailer (customers, events, audiences, activities, storefront) on first start')
    .action(async (options: { port?: string; dataDir?: string; demo?: boolean }) => {
      // Loaded here, not at the top: the server's modules take most of a second to load.
      const { loadConfig } = await import('../app/config.ts');
      const { startServer } = await import('../app/start.ts');
      const config = loadConfig({
        ...process.env,
        ...(options.port !== undefined ? { MERIDIAN_PORT: options.port } : {}),
        ...(options.dataDir !== undefined ? { MERIDIAN_DATA_DIR: options.dataDir } : {}),
      });
      const running = await startServer(config);
      if (options.demo || process.env.MERIDIAN_DEMO === '1') {
        const { loadDemo } = await import('../demo/load-demo.ts');
        const { printDemoSummary } = await import('../demo/summary.ts');
        printDemoSummary(await loadDemo(running));
      }
      let stopping = false;
      const stop = () => {
        // A terminal's Ctrl-C reaches this process twice (directly and through the launcher).
        if (stopping) return;
        stopping = true;
        void running.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`meridian: error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
          },
        );
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
    });
}
