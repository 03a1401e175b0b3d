/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../testing/harness.ts';
import { fakeDestination, goldAudience, ingest, person } from './test-support.ts';

test('an entry committed to the membership store but never announced (a crash in between) is exported after the restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-activation-recovery-'));
  const hook = await fakeDestination();
  try {
    let server = await startTestServer({}, dir);
    const { datasetId, audienceId } = await goldAudience(server);
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'hook', type: 'webhook', settings: { url: hook.url } });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'gold', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
    });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));
    await ingest(server, datasetId, [person(1), person(77, 'silver')]);
    await hook.waitFor((r) => r.length >= 1);
    await server.running.platform.activations.idle();
    const profile = await server.api('GET', '/api/v1/profiles?identity=CRMID:C77');
    // What a crash between the membership commit and the announcement leaves behind.
    const at = Date.now() + 5;
    await server.running.platform.memberships.put(profile.body.sandbox?.id ?? (await server.running.platform.tenancy.getSandbox('prod')).id, [
      { profileId: profile.body.profileId, audienceId, status: 'realized', lastQualificationTime: at, updatedAt: at },
    ]);
    await server.stop({ keepData: true });
    assert.equal(hook.received.length, 1, 'nothing announced the entry');

    server = await startTestServer({}, dir);
    try {
      await hook.waitFor((r) => r.some((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C77'));
      const entry = hook.received.find((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C77')!;
      assert.equal(entry.json.segmentMembership.ups[audienceId].status, 'realized');
      await server.running.platform.activations.idle();
      // At-least-once: the entries of the last announced pass (at the watermark) may come again, under the same idempotency key.
      const c1 = hook.received.filter((x) => x.json.identityMap?.CRMID?.[0]?.id === 'C1');
      assert.equal(new Set(c1.map((x) => x.headers['idempotency-key'])).size, 1, 'a repeated entry is recognisable as the same delivery');
    } finally {
      await server.stop();
    }
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
