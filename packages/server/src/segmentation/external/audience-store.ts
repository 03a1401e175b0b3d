/**
 * External audiences seen as audiences: an `AudienceStore` that lists, gets and deletes them beside
 * the PQL audiences, so `GET /audiences` shows them, `inSegment("<id>")` resolves to them and the
 * streaming engine evaluates them (from identities, not an expression).
 *
 * @example
 *   const audiences = new AudienceService(withExternalAudiences(new SqliteAudienceStore(db), external), schemas, profiles);
 */
import { problem } from '../../errors.ts';
import type { Audience } from '../audiences/model.ts';
import type { AudienceStore } from '../audiences/store.ts';
import type { ExternalAudience, ExternalAudienceStore } from './store.ts';

const REASON = 'external audience: its members are the profiles holding the uploaded identities, until it expires';

/** The audience document of an external audience. */
export function asAudience(external: ExternalAudience): Audience {
  return {
    id: external.id,
    name: external.name,
    ...(external.description ? { description: external.description } : {}),
    // Reads the recorded membership itself: any engine that evaluates it keeps the members as they are.
    expression: { type: 'PQL', format: 'pql/text', value: `inSegment("${external.id}")` },
    evaluationInfo: { batch: { enabled: false }, continuous: { enabled: true }, synchronous: { enabled: false } },
    classification: { method: 'streaming', reasons: [REASON], meridianStreaming: true, meridianReasons: [REASON] },
    mergePolicyId: external.mergePolicyId,
    ttlInDays: external.ttlInDays,
    schema: { name: '_xdm.context.profile' },
    profileInstanceId: 'ups',
    dependencies: [],
    origin: 'external',
    external: { identities: external.identities, namespaces: external.namespaces, expiresAt: new Date(external.expiresAt).toISOString() },
    sandbox: external.sandbox,
    creationTime: external.creationTime,
    updateTime: external.creationTime,
    updateEpoch: Math.floor(external.creationTime / 1000),
  };
}

export function withExternalAudiences(base: AudienceStore, external: ExternalAudienceStore): AudienceStore {
  return {
    async list(sandboxId) {
      const all = [...(await base.list(sandboxId)), ...(await external.list(sandboxId)).map(asAudience)];
      return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    },
    async get(sandboxId, id) {
      const found = await external.get(sandboxId, id);
      return found ? asAudience(found) : base.get(sandboxId, id);
    },
    async put(sandboxId, audience) {
      if (await external.get(sandboxId, audience.id)) {
        throw problem('CONFLICT', `audience ${audience.id} is external: its members come from an upload, so create a new one with POST /audiences/external`);
      }
      return base.put(sandboxId, audience);
    },
    async delete(sandboxId, id) {
      return (await external.delete(sandboxId, id)) || base.delete(sandboxId, id);
    },
    async deleteSandbox(sandboxId) {
      await external.deleteSandbox(sandboxId);
      await base.deleteSandbox(sandboxId);
    },
  };
}
