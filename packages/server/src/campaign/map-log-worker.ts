/**
 * Entry point of the thread that maps a Campaign log file (`map-log-file.ts`); started by
 * `mapLogInWorker` in `service.ts`. Posts one message: the counts, or the problem.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MeridianError } from '../errors.ts';
import { mapLogFile, type MapLogJob } from './map-log-file.ts';

export type FromMapLogWorker =
  | { type: 'done'; rows: number; profiles: number }
  | { type: 'failed'; code: 'INVALID_FILE'; detail: string; errors?: { path: string; message: string }[] };

const port = parentPort!;
try {
  const result = await mapLogFile(workerData as MapLogJob);
  port.postMessage({ type: 'done', ...result } satisfies FromMapLogWorker);
} catch (err) {
  const failure: FromMapLogWorker =
    err instanceof MeridianError
      ? { type: 'failed', code: 'INVALID_FILE', detail: err.detail, ...(err.extras.errors ? { errors: err.extras.errors } : {}) }
      : { type: 'failed', code: 'INVALID_FILE', detail: `the file cannot be read: ${(err as Error).message}` };
  port.postMessage(failure);
} finally {
  port.close();
}
