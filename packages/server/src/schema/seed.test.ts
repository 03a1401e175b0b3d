import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../testing/harness.ts';

test('standard schemas are seeded once: a deleted one stays deleted after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-seed-'));
  try {
    const first = await startTestServer({}, dir);
    assert.equal((await first.api('DELETE', '/api/v1/schemas/experience-event')).status, 204);
    await first.stop();
    const second = await startTestServer({}, dir);
    try {
      const names = (await second.api('GET', '/api/v1/schemas')).body.items.map((s: { name: string }) => s.name);
      assert.deepEqual(names, ['profile']);
      const policies = await second.api('GET', '/api/v1/merge-policies');
      assert.equal(policies.body.items.length, 1, 'the default merge policy is not duplicated');
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
