/**
 * External audiences: audiences whose members are the profiles holding uploaded identities
 * (a CSV of emails, CRM ids, ...), including profiles that appear later with one of those
 * identities, until the audience expires (30 days by default, as in the suite). Their memberships
 * are ordinary memberships: kept by the streaming engine, in `segmentMembership.ups`, in the
 * members list, in the edge projection, usable through `inSegment`.
 *
 * @example
 *   const { audience, rejected } = await external.create(sandbox, { name: 'VIP list', csv: 'email\nann@example.com\n' });
 */
import { MeridianError, problem } from '../../errors.ts';
import type { IdentityKey } from '../../identity/graph.ts';
import type { IdentityService } from '../../identity/service.ts';
import type { ProfileService } from '../../profile/service.ts';
import { newId } from '../../storage/ids.ts';
import type { Audience } from '../audiences/model.ts';
import type { ExternalMembers } from '../memberships/streaming.ts';
import { asAudience } from './audience-store.ts';
import type { ExternalAudienceStore } from './store.ts';
import { readIdentityCsv, UploadFormatError, type RejectedLine } from './upload.ts';

export interface ExternalAudienceInput {
  name: string;
  description?: string;
  /** Days until members exit (default 30); `expiresAt` instead sets the instant. */
  ttlInDays?: number;
  expiresAt?: number;
  /** Every value of the file is in this namespace. */
  namespace?: string;
  csv: string;
}

export interface ExternalAudienceResult {
  audience: Audience;
  /** Data lines read, identities kept (distinct), lines rejected with reasons. */
  lines: number;
  accepted: number;
  rejected: RejectedLine[];
}

/** Evaluates people after an upload (the streaming engine), a slice of identities at a time. */
export type EvaluateIdentities = (sandboxId: string, keys: readonly IdentityKey[]) => Promise<unknown>;

const DAY_MS = 86_400_000;
const DEFAULT_TTL_DAYS = 30;
/** Identities evaluated per streaming pass after an upload, so ingestion's passes interleave. */
const EVALUATION_SLICE = 500;

export class ExternalAudienceService implements ExternalMembers {
  constructor(
    private readonly store: ExternalAudienceStore,
    private readonly identity: IdentityService,
    private readonly profiles: ProfileService,
    private readonly evaluate: EvaluateIdentities,
    private readonly now: () => number = Date.now,
  ) {}

  async create(sandbox: { id: string; name: string }, input: ExternalAudienceInput): Promise<ExternalAudienceResult> {
    const at = this.now();
    if (input.expiresAt !== undefined && input.expiresAt <= at) {
      throw problem('BAD_REQUEST', 'expiresAt must be in the future', { errors: [{ path: 'expiresAt', message: 'must be in the future' }] });
    }
    const namespaces = await this.identity.namespaces(sandbox.id);
    const resolve = (name: string) => namespaces.find((n) => n.code === name)?.code ?? namespaces.find((n) => n.code.toLowerCase() === name.toLowerCase())?.code;
    let read;
    try {
      read = readIdentityCsv(input.csv, { resolve, ...(input.namespace !== undefined ? { namespace: input.namespace } : {}) });
    } catch (err) {
      if (err instanceof UploadFormatError) throw problem('INVALID_FILE', err.message, { errors: [{ path: err.path, message: err.message }] });
      throw err;
    }
    const keys: IdentityKey[] = [];
    const rejected = [...read.rejected];
    const badLines = new Set(rejected.map((r) => r.line));
    const keysByLine = new Map<number, IdentityKey[]>();
    for (const found of read.identities) {
      if (badLines.has(found.line)) continue;
      try {
        const key = await this.identity.keyOf(sandbox.id, found.namespace, found.value);
        keysByLine.set(found.line, [...(keysByLine.get(found.line) ?? []), key]);
      } catch (err) {
        if (!(err instanceof MeridianError)) throw err;
        badLines.add(found.line);
        keysByLine.delete(found.line);
        rejected.push({ line: found.line, message: `${found.namespace} "${found.value}": ${err.detail}` });
      }
    }
    for (const [line, lineKeys] of keysByLine) if (!badLines.has(line)) keys.push(...lineKeys);
    rejected.sort((a, b) => a.line - b.line);
    const ttlInDays = input.ttlInDays ?? (input.expiresAt !== undefined ? Math.max(1, Math.ceil((input.expiresAt - at) / DAY_MS)) : DEFAULT_TTL_DAYS);
    const policy = await this.profiles.policy(sandbox.id);
    const saved = await this.store.create(
      sandbox.id,
      {
        id: newId('aud'),
        name: input.name,
        ...(input.description ? { description: input.description } : {}),
        mergePolicyId: policy.id,
        ttlInDays,
        expiresAt: input.expiresAt ?? at + ttlInDays * DAY_MS,
        namespaces: [...new Set(read.identities.map((i) => i.namespace))].sort(),
        identities: 0,
        sandbox: { sandboxId: sandbox.id, sandboxName: sandbox.name },
        creationTime: at,
      },
      keys,
    );
    // People already known with these identities enter now; those who appear later enter when
    // their first record is applied (the streaming engine asks `heldBy`).
    const distinct = [...new Set(keys)];
    for (let i = 0; i < distinct.length; i += EVALUATION_SLICE) {
      // Queued at once (the streaming engine runs passes in call order), so settling covers them.
      this.evaluate(sandbox.id, distinct.slice(i, i + EVALUATION_SLICE)).catch((err: Error) => process.emitWarning(`external audience evaluation failed: ${err.message}`));
    }
    return { audience: asAudience(saved), lines: read.lines, accepted: saved.identities, rejected };
  }

  heldBy(sandboxId: string, keys: readonly IdentityKey[]) {
    return this.store.heldBy(sandboxId, keys) as Promise<Map<string, number | undefined>>;
  }
}
