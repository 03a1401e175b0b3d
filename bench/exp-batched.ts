import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../packages/server/src/cli/api-client.ts';
import { EventBodies } from './fixtures/experience-events.ts';
import { generateLoad } from './lib/load-generator.ts';
import { startServerProcess } from './lib/server-process.ts';
const KEY = 'mrd_bench_admin_key_0123456789abcdef';
const mode = process.argv[2] ?? 'batched';
const server = await startServerProcess('meridian-server.ts', { MERIDIAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'exp-')), MERIDIAN_PORT: '0', MERIDIAN_HOST: '127.0.0.1', MERIDIAN_LOG_LEVEL: 'silent', MERIDIAN_ADMIN_KEY: KEY });
const api = new ApiClient({ url: server.url, key: KEY, sandbox: 'prod' });
const ds = await api.request<{ id: string }>('POST', '/api/v1/datasets', { name: 'x', schemaId: 'experience-event' });
const bodies = new EventBodies('r' + Date.now());
const meter = server.cpuMeter();
const r = await generateLoad({ url: `${server.url}/api/v1/ingest/${ds.id}`, method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  nextBody: mode === 'batched' ? () => bodies.batch(100) : () => bodies.single(), connections: mode === 'batched' ? 8 : 32, warmupMs: 2000, durationMs: Number(process.env.SECS ?? 10) * 1000, onMeasuredPhase: (e) => meter.onMeasuredPhase(e) });
console.log(mode, Math.round(r.requestsPerSecond * (mode === 'batched' ? 100 : 1)), 'per s; p50', r.latency.p50Ms.toFixed(1), 'p99', r.latency.p99Ms.toFixed(1), 'server cores', meter.cores().toFixed(2));
await server.stop();
