/**
 * Audience size estimates while a marketer edits: the expression (saved or not) runs with the
 * in-memory engine over a random sample of people, within a time budget, and the share that
 * qualifies is scaled to the sandbox's population with a 95% Wilson interval. When the sample
 * holds everyone, the answer is exact.
 *
 * @example
 *   const e = await estimator.estimate(sandbox, { expression: { type: 'PQL', format: 'pql/text', value: 'loyalty.tier = "gold"' } });
 *   e.estimate; e.confidenceInterval;  // 1200, { low: 1100, high: 1310, level: 0.95 }
 */
import { problem } from '../../errors.ts';
import type { IdentityKey } from '../../identity/graph.ts';
import type { ProfileService } from '../../profile/service.ts';
import type { AudienceService } from '../audiences/service.ts';
import type { Expression } from '../audiences/model.ts';
import { compileExpression } from '../evaluate/index.ts';
import type { MembershipStore } from '../memberships/store.ts';
import { fromJson } from '../pql/index.ts';
import { EVENT_HISTORY } from '../jobs/job-input.ts';
import { wilsonInterval } from './wilson.ts';

export interface EstimateRequest {
  expression?: Expression;
  audienceId?: string;
  mergePolicyId?: string;
  /** People to sample (default 1,000). */
  sampleSize?: number;
}

export interface AudienceEstimate {
  estimate: number;
  /** Share of the sample that qualifies. */
  ratio: number;
  sampleSize: number;
  qualified: number;
  /** People in the sandbox the estimate is scaled to. */
  population: number;
  /** The sample held every person: the estimate is the size. */
  exact: boolean;
  confidenceInterval: { low: number; high: number; level: number };
  evaluatedAt: string;
  elapsedMs: number;
}

/** Time the sampling may take, so an editor gets an answer in well under a second. */
const BUDGET_MS = 600;

export class AudienceEstimator {
  constructor(
    private readonly audiences: AudienceService,
    private readonly profiles: ProfileService,
    private readonly memberships: MembershipStore,
    private readonly countPeople: (sandboxId: string) => Promise<number>,
  ) {}

  async estimate(sandbox: { id: string; name: string }, request: EstimateRequest, now = Date.now()): Promise<AudienceEstimate> {
    const started = performance.now();
    const saved = request.audienceId ? await this.audiences.get(sandbox.id, request.audienceId) : undefined;
    const expression: Expression | undefined = request.expression ?? saved?.expression;
    if (!expression) throw problem('BAD_REQUEST', 'give an expression or an audienceId', { errors: [{ path: 'expression', message: 'is required without audienceId' }] });
    const check = await this.audiences.validate(sandbox, expression, saved?.id);
    if (!check.valid || !check.ast) {
      throw problem('PQL_INVALID', check.errors.map((e) => e.message).join('; '), {
        errors: check.errors.map((e) => ({ path: e.path ?? 'expression.value', message: e.message, ...(e.line ? { line: e.line, column: e.column, offset: e.offset } : {}) })),
      });
    }
    const parsed = fromJson(check.ast);
    if (!parsed.ok) throw problem('INTERNAL', 'the validated expression could not be read back');
    const query = compileExpression(parsed.ast);
    const policy = await this.profiles.policy(sandbox.id, request.mergePolicyId ?? saved?.mergePolicyId);
    const wanted = request.sampleSize ?? 1_000;

    // Identities drawn at random stand for people; several identities of one person count once.
    const drawn = await this.profiles.profileIdentities(sandbox.id, { limit: wanted * 2, sample: true });
    const seenKeys = new Set<IdentityKey>();
    const seenProfiles = new Set<string>();
    let qualified = 0;
    let timedOut = false;
    for (const key of drawn) {
      if (seenProfiles.size >= wanted) break;
      if (performance.now() - started > BUDGET_MS) {
        timedOut = true;
        break;
      }
      if (seenKeys.has(key)) continue;
      const person = await this.profiles.members(sandbox.id, key, policy);
      if (!person) continue;
      for (const k of person.keys) seenKeys.add(k);
      if (seenProfiles.has(person.profileId)) continue;
      seenProfiles.add(person.profileId);
      const profile = await this.profiles.assemble(sandbox.id, person.profileId, person.keys, policy);
      const events = await this.profiles.eventsOf(sandbox.id, person.keys, EVENT_HISTORY);
      const current = new Map((await this.memberships.forProfile(sandbox.id, person.profileId)).map((m) => [m.audienceId, m.status]));
      const holds = (id: string) => {
        const status = current.get(id);
        return status !== undefined && status !== 'exited';
      };
      if (query.matches({ profile: profile.attributes, events, now, inSegment: holds })) qualified++;
    }
    const sampleSize = seenProfiles.size;
    const exhausted = !timedOut && drawn.length < wanted * 2 && sampleSize < wanted;
    const population = exhausted ? sampleSize : Math.max(sampleSize, await this.countPeople(sandbox.id));
    const exact = exhausted || population === sampleSize;
    const ratio = sampleSize === 0 ? 0 : qualified / sampleSize;
    const interval = exact ? { low: ratio, high: ratio } : wilsonInterval(qualified, sampleSize);
    return {
      estimate: Math.round(ratio * population),
      ratio,
      sampleSize,
      qualified,
      population,
      exact,
      confidenceInterval: { low: Math.floor(interval.low * population), high: Math.ceil(interval.high * population), level: 0.95 },
      evaluatedAt: new Date(now).toISOString(),
      elapsedMs: Math.round(performance.now() - started),
    };
  }
}
