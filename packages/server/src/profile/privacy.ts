/**
 * Privacy requests by identity: `access` gathers everything held about the person (identities,
 * links, fragments, merged profile, every record) into a file; `delete` removes the person from
 * the record log, lake, profile store, identity graph, projections and (through erasers registered
 * by other domains) memberships. Both are audited. An unknown identity is a no-op job that says so.
 *
 * @example
 *   const job = await privacy.submit(sandbox, { type: 'delete', identity: { namespace: 'Email', value: 'ann@example.com' } }, actor);
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { problem } from '../errors.ts';
import { soloProfileId, splitIdentityKey, type IdentityKey } from '../identity/graph.ts';
import type { IdentityService } from '../identity/service.ts';
import type { RecordStore } from '../ingest/record-store.ts';
import { newId } from '../storage/ids.ts';
import type { JsonObject } from '../storage/json.ts';
import { boundLimit, migrate, type SqliteDatabase } from '../storage/sqlite.ts';
import type { ProfileService } from './service.ts';
import type { ProfileStore } from './store.ts';

export const PrivacyJobInput = Type.Object(
  {
    type: Type.Union([Type.Literal('access'), Type.Literal('delete')]),
    identity: Type.Object({ namespace: Type.String({ minLength: 1 }), value: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type PrivacyJobInput = Static<typeof PrivacyJobInput>;

export const PrivacyJob = Type.Object({
  id: Type.String(),
  type: PrivacyJobInput.properties.type,
  identity: PrivacyJobInput.properties.identity,
  status: Type.Union([Type.Literal('processing'), Type.Literal('complete'), Type.Literal('failed')]),
  message: Type.String(),
  counts: Type.Object({ identities: Type.Integer(), records: Type.Integer(), fragments: Type.Integer(), rejectedRecords: Type.Integer() }),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** For access jobs: where to download the file. */
  file: Type.Optional(Type.String()),
});
export type PrivacyJob = Static<typeof PrivacyJob>;

/** Removes a person's data from a domain that holds it (the lake, audience memberships, ...). */
export type PrivacyEraser = (sandboxId: string, person: { identities: IdentityKey[]; recordSeqs: number[]; profileId: string }) => Promise<void>;

export interface PrivacyDeps {
  db: SqliteDatabase;
  dataDir: string;
  identity: IdentityService;
  profiles: ProfileService;
  profileStore: ProfileStore;
  records: RecordStore;
  audit: (entry: { actor: string; sandbox: string; action: string; resourceType: string; resourceId: string; details?: Record<string, unknown> }) => Promise<void>;
  /** Waits until every accepted record has reached the profile store (so nothing slips past a delete). */
  settle: () => Promise<void>;
}

const MIGRATIONS = [`CREATE TABLE privacy_jobs (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, id));`];

export class PrivacyService {
  private readonly erasers: PrivacyEraser[] = [];

  constructor(private readonly deps: PrivacyDeps) {
    migrate(deps.db, 'privacy', MIGRATIONS);
  }

  addEraser(eraser: PrivacyEraser): void {
    this.erasers.push(eraser);
  }

  async submit(sandbox: { id: string; name: string }, input: PrivacyJobInput, actor: string): Promise<PrivacyJob> {
    const key = await this.deps.identity.keyOf(sandbox.id, input.identity.namespace, input.identity.value);
    let job: PrivacyJob = {
      id: newId('pvj'),
      type: input.type,
      identity: input.identity,
      status: 'processing',
      message: 'processing',
      counts: { identities: 0, records: 0, fragments: 0, rejectedRecords: 0 },
      createdAt: new Date().toISOString(),
    };
    this.save(sandbox.id, job);
    try {
      job = input.type === 'delete' ? await this.erase(sandbox.id, key, job) : await this.access(sandbox.id, key, job);
    } catch (err) {
      job = { ...job, status: 'failed', message: `failed: ${(err as Error).message}`, completedAt: new Date().toISOString() };
    }
    this.save(sandbox.id, job);
    await this.deps.audit({
      actor,
      sandbox: sandbox.name,
      action: `privacy.${input.type}`,
      resourceType: 'privacyJob',
      resourceId: job.id,
      details: { namespace: input.identity.namespace, status: job.status, counts: job.counts },
    });
    return job;
  }

  get(sandboxId: string, id: string): PrivacyJob {
    const doc = this.deps.db.prepare('SELECT doc FROM privacy_jobs WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    if (!doc) throw problem('NOT_FOUND', `privacy job ${id} does not exist`);
    return JSON.parse(doc) as PrivacyJob;
  }

  list(sandboxId: string, limit: number): PrivacyJob[] {
    const docs = this.deps.db.prepare(`SELECT doc FROM privacy_jobs WHERE sandbox_id = ? ORDER BY rowid DESC ${boundLimit()}`).pluck().all(sandboxId, limit) as string[];
    return docs.map((d) => JSON.parse(d) as PrivacyJob);
  }

  filePath(sandboxId: string, id: string): string {
    return join(this.deps.dataDir, 'privacy', sandboxId, `${id}.json`);
  }

  deleteSandbox(sandboxId: string) {
    this.deps.db.prepare('DELETE FROM privacy_jobs WHERE sandbox_id = ?').run(sandboxId);
  }

  private save(sandboxId: string, job: PrivacyJob) {
    this.deps.db
      .prepare('INSERT INTO privacy_jobs (sandbox_id, id, doc) VALUES (?, ?, ?) ON CONFLICT (sandbox_id, id) DO UPDATE SET doc = excluded.doc')
      .run(sandboxId, job.id, JSON.stringify(job));
  }

  /** The person's identities (whole graph), whatever the merge policies say. */
  private async person(sandboxId: string, key: IdentityKey) {
    const { namespace, value } = splitIdentityKey(key);
    const graph = await this.deps.identity.graphOf(sandboxId, namespace, value);
    const identities = graph ? [...graph.nodes.keys()] : [key];
    const recordSeqs = await this.deps.profileStore.recordSeqs(sandboxId, identities);
    const fragments = await this.deps.profileStore.fragments(sandboxId, identities);
    // Rejected records are kept with their reasons but not indexed by identity: find them by value.
    const rejections = await this.deps.records.rejectionsMentioning(sandboxId, identities.map((k) => splitIdentityKey(k).value));
    return { graph, identities, recordSeqs, fragments, rejections, profileId: graph?.id ?? soloProfileId(key) };
  }

  private async erase(sandboxId: string, key: IdentityKey, job: PrivacyJob): Promise<PrivacyJob> {
    await this.deps.settle();
    const person = await this.person(sandboxId, key);
    const done = new Date().toISOString();
    if (!person.graph && person.recordSeqs.length === 0 && person.fragments.length === 0 && person.rejections.length === 0) {
      return { ...job, status: 'complete', message: 'no data is held for this identity; nothing was deleted', completedAt: done };
    }
    for (const eraser of this.erasers) await eraser(sandboxId, person);
    const records = await this.deps.records.deleteSeqs(person.recordSeqs);
    const rejectedRecords = await this.deps.records.deleteRejections(sandboxId, person.rejections.map((r) => r.id));
    await this.deps.profileStore.deleteIdentities(sandboxId, person.identities);
    await this.deps.identity.deleteIdentities(sandboxId, person.identities);
    return {
      ...job,
      status: 'complete',
      message: 'the person was deleted from the record log, rejected records, lake, profile store, identity graph and projections',
      counts: { identities: person.identities.length, records, fragments: person.fragments.length, rejectedRecords },
      completedAt: done,
    };
  }

  private async access(sandboxId: string, key: IdentityKey, job: PrivacyJob): Promise<PrivacyJob> {
    await this.deps.settle();
    const person = await this.person(sandboxId, key);
    const done = new Date().toISOString();
    if (!person.graph && person.recordSeqs.length === 0 && person.fragments.length === 0 && person.rejections.length === 0) {
      return { ...job, status: 'complete', message: 'no data is held for this identity', completedAt: done };
    }
    const policy = await this.deps.profiles.policy(sandboxId);
    const profile = await this.deps.profiles.assemble(sandboxId, person.profileId, person.identities, policy);
    const records = await this.deps.records.readSeqs(person.recordSeqs);
    const export_: JsonObject = {
      requestedIdentity: job.identity,
      generatedAt: done,
      identities: person.identities.map((k) => {
        const { namespace, value } = splitIdentityKey(k);
        const node = person.graph?.nodes.get(k);
        return { namespace, id: value, ...(node ? { firstSeen: new Date(node.firstSeen).toISOString(), lastSeen: new Date(node.lastSeen).toISOString() } : {}) };
      }),
      links: (person.graph?.links ?? []).map((l) => ({
        from: splitIdentityKey(l.a).namespace + ':' + splitIdentityKey(l.a).value,
        to: splitIdentityKey(l.b).namespace + ':' + splitIdentityKey(l.b).value,
        datasetId: l.datasetId,
        createdAt: new Date(l.createdAt).toISOString(),
      })),
      profile: profile as unknown as JsonObject,
      fragments: person.fragments.map((f) => ({ identity: f.identity.replace('\u0000', ':'), datasetId: f.datasetId, updatedAt: new Date(f.updatedAt).toISOString(), attributes: f.attributes })),
      records: records.map((r) => ({ datasetId: r.datasetId, ingestedAt: new Date(r.ingestedAt).toISOString(), record: JSON.parse(r.body) as JsonObject })),
      rejectedRecords: person.rejections.map((r) => ({
        datasetId: r.datasetId,
        rejectedAt: new Date(r.rejectedAt).toISOString(),
        reasons: r.errors.map((e) => `${e.path} ${e.message}`),
        received: r.body,
      })),
    };
    const path = this.filePath(sandboxId, job.id);
    mkdirSync(join(this.deps.dataDir, 'privacy', sandboxId), { recursive: true });
    writeFileSync(path, JSON.stringify(export_, null, 2));
    return {
      ...job,
      status: 'complete',
      message: 'everything held about the person is in the file',
      counts: { identities: person.identities.length, records: records.length, fragments: person.fragments.length, rejectedRecords: person.rejections.length },
      completedAt: done,
      file: `/api/v1/privacy/jobs/${job.id}/file`,
    };
  }
}
