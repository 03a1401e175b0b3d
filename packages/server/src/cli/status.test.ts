import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, TEST_ADMIN_KEY } from '../testing/harness.ts';
import { runCli } from './spawn-cli.ts';

test('status shows health, every sandbox and each dataset with its record count', async () => {
  const server = await startTestServer();
  try {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
    const events = await server.api('POST', '/api/v1/datasets', { name: 'web_events', schemaId: 'experience-event' });
    assert.equal(events.status, 201);
    await server.api('POST', `/api/v1/ingest/${events.body.id}`, [
      { _id: 'e1', timestamp: '2026-11-01T10:00:00Z' },
      { _id: 'e2', timestamp: '2026-11-01T10:01:00Z' },
    ]);
    assert.equal((await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile' }, { sandbox: 'dev' })).status, 201);

    const status = await runCli(['status', '--url', server.url], { MERIDIAN_API_KEY: TEST_ADMIN_KEY });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /: ok \(embedded storage/);
    assert.match(status.stdout, /sandbox prod \(production\): 1 dataset/);
    assert.match(status.stdout, /web_events\s+ds_\w+\s+event\s+experience-event\s+2\s+no/);
    assert.match(status.stdout, /sandbox dev \(development\): 1 dataset/);
    assert.match(status.stdout, /crm\s+ds_\w+\s+profile\s+profile\s+0/);
    assert.match(status.stdout, /2 records in 2 sandboxes/);
  } finally {
    await server.stop();
  }
});

test('status without a key shows health only; a refused key or an absent server fails with the reason', async () => {
  const server = await startTestServer();
  try {
    const keyless = await runCli(['status'], { MERIDIAN_URL: server.url });
    assert.equal(keyless.code, 0, keyless.stderr);
    assert.match(keyless.stdout, /: ok/);
    assert.match(keyless.stdout, /MERIDIAN_API_KEY to see sandboxes/);

    const refused = await runCli(['status', '--url', server.url, '--key', 'mrd_not_a_real_key_000000']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the API key is unknown or revoked \(UNAUTHORIZED, HTTP 401\)/);
  } finally {
    await server.stop();
  }
  const gone = await runCli(['status', '--url', server.url]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot reach Meridian at/);
});
