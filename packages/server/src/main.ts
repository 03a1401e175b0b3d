/**
 * `npm start`: open the embedded platform, bootstrap it, serve HTTP until a signal.
 * `npm start -- --demo` (or MERIDIAN_DEMO=1) also loads the demo retailer on first start.
 */
import { loadConfig } from './app/config.ts';
import { startServer } from './app/start.ts';

const config = loadConfig();
const running = await startServer(config);
if (process.argv.includes('--demo') || process.env.MERIDIAN_DEMO === '1') {
  const { loadDemo } = await import('./demo/load-demo.ts');
  const { printDemoSummary } = await import('./demo/summary.ts');
  printDemoSummary(await loadDemo(running));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.stop().then(() => process.exit(0));
  });
}
