import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLogInWorker } from './service.ts';
import type { MapLogJob } from './map-log-file.ts';
import { CAMPAIGN_EVENT_SCHEMA_INPUT } from './schemas.ts';
import type { FieldDefinition } from '../schema/model.ts';
import { MeridianError } from '../errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'meridian-campaign-map-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const eventSchema = {
  class: CAMPAIGN_EVENT_SCHEMA_INPUT.class,
  fieldGroups: CAMPAIGN_EVENT_SCHEMA_INPUT.fieldGroups ?? [],
  fields: (CAMPAIGN_EVENT_SCHEMA_INPUT.fields ?? {}) as Record<string, FieldDefinition>,
  required: CAMPAIGN_EVENT_SCHEMA_INPUT.required ?? [],
};

function job(name: string, kind: MapLogJob['kind'], text: string, delimiter?: string): MapLogJob {
  const inputPath = join(dir, `${name}.csv`);
  writeFileSync(inputPath, text);
  return { kind, format: 'csv', ...(delimiter ? { delimiter } : {}), inputPath, eventsPath: join(dir, `${name}.events.jsonl`), profilesPath: join(dir, `${name}.profiles.jsonl`), eventSchema };
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

test('in a worker thread: one output line per data row, so rejections keep the Campaign row numbers; profile records for bounces only', async () => {
  const j = job(
    'broadlog',
    'broadlog',
    [
      '\uFEFFiBroadLogId\tiRecipientId\tsEmail\ttsEvent\tiStatus\tiFailureType',
      '1\tC1\ta@x.test\t2026-11-20 10:00:00\t1\t',
      '',
      '2\tC2\tb@x.test\t2026-11-20 10:00:00\t2\t2',
      '3\tC3',
      '4\tC4\tc@x.test\tnever\t1\t',
    ].join('\r\n'),
    '\t',
  );
  assert.deepEqual(await mapLogInWorker(j), { rows: 4, profiles: 1 });
  const events = lines(j.eventsPath);
  assert.equal(events[0].eventType, 'directMarketing.emailSent');
  assert.equal(events[1].eventType, 'directMarketing.emailBounced', 'the blank line is skipped, as the batch skips it');
  assert.match(events[2], /^has 2 values but the header has 6 columns/);
  assert.equal(events[3].campaign.sourceRow.tsEvent, 'never', 'a row the schema refuses carries its Campaign row');
  const profiles = lines(j.profilesPath);
  assert.equal(profiles[0].crm.crmId, 'C2');
  assert.equal(profiles[0].personalEmail.status, 'blocked');
});

test('in a worker thread: a header without the needed columns is INVALID_FILE naming them', async () => {
  await assert.rejects(mapLogInWorker(job('bad', 'tracking', 'sEmail,sUrl\na@x.test,https://x.test\n')), (err: unknown) => {
    assert.ok(err instanceof MeridianError);
    assert.equal(err.code, 'INVALID_FILE');
    assert.deepEqual(err.extras.errors?.map((e) => e.path), ['eventDate']);
    return true;
  });
});
