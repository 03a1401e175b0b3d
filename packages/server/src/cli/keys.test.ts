import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../testing/harness.ts';
import type { ApiKey } from '../tenancy/model.ts';
import { runCli } from './spawn-cli.ts';

interface CreatedKey {
  key: ApiKey;
  secret: string;
}

test('an operator who lost the admin key makes a new one from the data directory while the server runs', async () => {
  const server = await startTestServer();
  try {
    const created = await runCli(['keys', 'create', '--name', 'ops laptop', '--role', 'admin', '--json', '--data-dir', server.dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const { key, secret } = JSON.parse(created.stdout) as CreatedKey;
    assert.equal(key.role, 'admin');
    assert.match(secret, /^mrd_/);

    const sandboxes = await server.api('GET', '/api/v1/sandboxes', undefined, { key: secret });
    assert.equal(sandboxes.status, 200, 'the running server accepts the key made on disk');

    const listed = await runCli(['keys', 'list', '--data-dir', server.dataDir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ops laptop\s+admin\s+\*/);
    assert.ok(!listed.stdout.includes(secret), 'a listing never shows secrets');
  } finally {
    await server.stop();
  }
});

test('a revoked key is refused by the server and shown as revoked', async () => {
  const server = await startTestServer();
  try {
    const created = await runCli(['keys', 'create', '--name', 'feed', '--role', 'ingest', '--sandbox', 'prod', '--json', '--data-dir', server.dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const { key, secret } = JSON.parse(created.stdout) as CreatedKey;
    assert.deepEqual(key.sandboxes, ['prod']);

    const revoked = await runCli(['keys', 'revoke', key.id, '--data-dir', server.dataDir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked ${key.id}`));

    const refused = await server.api('GET', '/api/v1/datasets', undefined, { key: secret });
    assert.equal(refused.status, 401);

    const listed = await runCli(['keys', 'list', '--json', '--data-dir', server.dataDir]);
    const keys = JSON.parse(listed.stdout) as ApiKey[];
    assert.ok(keys.find((k) => k.id === key.id)?.revokedAt, 'the listing marks the key revoked');

    const again = await runCli(['keys', 'revoke', key.id, '--data-dir', server.dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no active API key/);
  } finally {
    await server.stop();
  }
});

test('keys refuse a directory without Meridian data, and unknown roles or sandboxes, with a readable reason', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'meridian-cli-empty-'));
  const server = await startTestServer();
  try {
    const noData = await runCli(['keys', 'list', '--data-dir', empty]);
    assert.equal(noData.code, 1);
    assert.match(noData.stderr, /no Meridian data in/);

    const fromEnv = await runCli(['keys', 'list'], { MERIDIAN_DATA_DIR: server.dataDir });
    assert.equal(fromEnv.code, 0, 'MERIDIAN_DATA_DIR names the data directory');

    const badRole = await runCli(['keys', 'create', '--name', 'x', '--role', 'owner', '--data-dir', server.dataDir]);
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /Allowed choices are admin, editor, viewer, ingest/);

    const badSandbox = await runCli(['keys', 'create', '--name', 'x', '--role', 'viewer', '--sandbox', 'staging', '--data-dir', server.dataDir]);
    assert.equal(badSandbox.code, 1);
    assert.match(badSandbox.stderr, /sandbox "staging" does not exist/);
  } finally {
    await server.stop();
    rmSync(empty, { recursive: true, force: true });
  }
});
