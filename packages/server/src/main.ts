/** `npm start`: open the embedded platform, bootstrap it, serve HTTP until a signal. */
import { loadConfig } from './app/config.ts';
import { startServer } from './app/start.ts';

const config = loadConfig();
const running = await startServer(config);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.stop().then(() => process.exit(0));
  });
}
