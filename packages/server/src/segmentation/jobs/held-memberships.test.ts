/**
 * A job's baseline read in bulk (the store's rows, their entries decoded by DuckDB) holds exactly
 * what it holds read membership by membership: every entry form, exits left out, audiences read
 * through inSegment under each of their names, other audiences and sandboxes ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteMembershipStore } from '../memberships/sqlite-store.ts';
import type { Membership, MembershipStore } from '../memberships/store.ts';
import { PQL_TABLES } from '../sql/input-layout.ts';
import { openPqlDatabase } from '../sql/test-support.ts';
import { JOB_DDL, JOB_TABLES } from './batch-evaluation.ts';
import { loadCurrentMemberships } from './job-input.ts';

const t = 1_750_258_800_000;

async function loaded(store: MembershipStore): Promise<{ current: string[]; segments: string[] }> {
  const db = await openPqlDatabase();
  try {
    for (const statement of JOB_DDL) await db.connection.run(statement);
    await loadCurrentMemberships(db.connection, store, 'sbx_a', ['aud_eval', 'aud_other'], [{ id: 'aud_read', names: ['aud_read', 'VIPs'] }]);
    const rows = async (sql: string) => (await db.connection.runAndReadAll(sql)).getRows().map((r) => r.map(String).join(' | ')).sort();
    return {
      current: await rows(`SELECT audience_id, profile_id, status, lqt FROM ${JOB_TABLES.current}`),
      segments: await rows(`SELECT profile_id, segment_id FROM ${PQL_TABLES.segmentMembers}`),
    };
  } finally {
    db.close();
  }
}

const m = (profileId: string, audienceId: string, status: Membership['status'], lastQualificationTime: number, updatedAt = lastQualificationTime): Membership => ({
  profileId,
  audienceId,
  status,
  lastQualificationTime,
  updatedAt,
});

test('the bulk read of held memberships holds what the membership-by-membership read holds', async () => {
  const store = new SqliteMembershipStore(openSqlite(':memory:'));
  const held: Membership[] = [
    m('prs_1', 'aud_eval', 'realized', t), // stored as its time alone
    m('prs_1', 'aud_read', 'existing', t - 5, t),
    m('prs_1', 'aud_unused', 'realized', t),
    m('prs_2', 'aud_eval', 'exited', t - 9, t),
    m('prs_2', 'aud_other', 'realized', t - 7, t), // realized, updated later than it qualified
    m('prs_2', 'aud_read', 'exited', t - 1, t),
    m('prs_3', 'aud_other', 'existing', t - 3),
    m('odd,"id"\u001e', 'aud_eval', 'existing', t - 2, t),
    m('odd,"id"\u001e', 'aud_read', 'realized', t),
  ];
  // More profiles than one page of rows.
  const many = Array.from({ length: 5_000 }, (_, i) => m(`prs_m${String(i).padStart(5, '0')}`, i % 3 === 0 ? 'aud_read' : 'aud_eval', i % 4 === 0 ? 'existing' : 'realized', t - i));
  await store.put('sbx_a', [...held, ...many]);
  await store.put('sbx_b', [m('prs_b', 'aud_eval', 'realized', t)]);

  const bulk = await loaded(store);
  // The same store without its rows: read by byProfile.
  const byMembership: MembershipStore = {
    get: (...a) => store.get(...a),
    forProfile: (...a) => store.forProfile(...a),
    forProfiles: (...a) => store.forProfiles(...a),
    members: (...a) => store.members(...a),
    byProfile: (...a) => store.byProfile(...a),
    put: (...a) => store.put(...a),
    putBatch: (sandboxId, batch) => store.putBatch(sandboxId, batch),
    deleteAudience: (...a) => store.deleteAudience(...a),
    deleteProfile: (...a) => store.deleteProfile(...a),
    deleteSandbox: (...a) => store.deleteSandbox(...a),
  };
  assert.deepEqual(bulk, await loaded(byMembership));
  assert.ok(bulk.current.includes(`aud_eval | prs_1 | realized | ${t}`));
  assert.ok(bulk.current.includes(`aud_other | prs_2 | realized | ${t - 7}`));
  assert.ok(bulk.current.includes(`aud_eval | odd,"id"\u001e | existing | ${t - 2}`));
  assert.ok(!bulk.current.some((r) => r.startsWith('aud_eval | prs_2')), 'exits are not held');
  assert.ok(!bulk.current.some((r) => r.includes('aud_unused') || r.includes('prs_b')), 'other audiences and sandboxes are not read');
  assert.ok(bulk.segments.includes('prs_1 | VIPs') && bulk.segments.includes('prs_1 | aud_read'), 'read under each name');
  assert.ok(!bulk.segments.some((r) => r.startsWith('prs_2 |')), 'an exit from an audience read through inSegment is not held');
  assert.equal(bulk.current.length, 4 + many.filter((x) => x.audienceId === 'aud_eval').length);
});
