/* eslint-disable @typescript-eslint/no-explicit-any -- test harness: responses are asserted field by field */
/**
 * Test harness: a real Meridian server on a random loopback port with its own temporary data
 * directory, and a small client that speaks its admin API.
 *
 * @example
 *   const server = await startTestServer();
 *   const res = await server.api('POST', '/api/v1/datasets', { name: 'events', schemaId: 'experience-event' });
 *   await server.stop();
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { startServer, type RunningServer } from '../app/start.ts';

export const TEST_ADMIN_KEY = 'mrd_test_admin_key_0123456789abcdef';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestServer {
  url: string;
  dataDir: string;
  running: RunningServer;
  /** Calls the API with the admin key (or `options.key`), JSON in and out. */
  api<T = any>(method: string, path: string, body?: unknown, options?: { key?: string | null; sandbox?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'meridian-test-'));
  const config = loadConfig({
    MERIDIAN_PORT: '0',
    MERIDIAN_HOST: '127.0.0.1',
    MERIDIAN_DATA_DIR: dir,
    MERIDIAN_ADMIN_KEY: TEST_ADMIN_KEY,
    MERIDIAN_LOG_LEVEL: 'silent',
    // Hundreds of test servers: a waiting batch worker each would cost the suite minutes of CPU.
    MERIDIAN_BATCH_WARM_WORKER: 'false',
    ...env,
  });
  const running = await startServer(config, { printKey: false });
  const url = running.url.replace('localhost', '127.0.0.1');
  return {
    url,
    dataDir: dir,
    running,
    async api(method, path, body, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const key = options.key === undefined ? TEST_ADMIN_KEY : options.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (options.sandbox) headers['x-sandbox-name'] = options.sandbox;
      let payload: string | undefined;
      if (body !== undefined) {
        headers['content-type'] ??= 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(url + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      if (text && (res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async stop(options = {}) {
      await running.stop();
      if (!options.keepData && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts an answer is RFC 9457 problem+json with this status and stable code. */
export function assertProblem(res: ApiResponse, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
}
