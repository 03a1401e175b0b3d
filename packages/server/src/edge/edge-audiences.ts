/**
 * Edge audiences for the hot path: the sandbox's audiences marked for edge evaluation
 * (`evaluationInfo.synchronous.enabled`), each compiled once per version (`updateTime`) with the
 * in-memory PQL engine and ordered so an audience is evaluated after the audiences it reads
 * through `inSegment`. The list is reloaded at most once per `refreshMs` per sandbox (one
 * storage read; concurrent requests share it), so a new or changed audience counts within a second.
 *
 * @example
 *   const edge = new EdgeAudiences({ list: (s) => audiences.list(s) });
 *   const compiled = await edge.forSandbox(sandboxId);
 *   const result = evaluateEdgeAudiences(compiled, { profile, events, now: Date.now() }, projected);
 *   result.memberships; // audience id → 'realized' | 'existing' for every audience the person is in
 */
import type { Audience } from '../segmentation/audiences/model.ts';
import { compileExpression, type CompiledExpression } from '../segmentation/evaluate/index.ts';
import { parseOrThrow } from '../segmentation/pql/index.ts';
import type { JsonObject } from '../storage/json.ts';

export interface CompiledEdgeAudience {
  id: string;
  name: string;
  version: number;
  expression: CompiledExpression;
}

export interface EdgeAudienceSource {
  list(sandboxId: string): Promise<readonly Audience[]>;
}

interface SandboxEntry {
  loadedAt: number;
  audiences: readonly CompiledEdgeAudience[];
}

export interface EdgeAudiencesOptions {
  /** How long a loaded list is used before it is reloaded; default 1 s. */
  refreshMs?: number;
  onError?(error: Error): void;
  now?(): number;
}

/** Orders audiences so each comes after the audiences it depends on (cycles are refused at creation). */
function dependencyOrder(audiences: readonly Audience[]): Audience[] {
  const byId = new Map(audiences.map((a) => [a.id, a]));
  const out: Audience[] = [];
  const seen = new Set<string>();
  const visit = (a: Audience) => {
    if (seen.has(a.id)) return;
    seen.add(a.id);
    for (const dep of a.dependencies) {
      const d = byId.get(dep);
      if (d) visit(d);
    }
    out.push(a);
  };
  audiences.forEach(visit);
  return out;
}

export class EdgeAudiences {
  private readonly sandboxes = new Map<string, SandboxEntry>();
  private readonly loading = new Map<string, Promise<void>>();
  /** `id@version` → compiled, so a reload compiles only what changed. */
  private compiled = new Map<string, CompiledEdgeAudience>();
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: EdgeAudienceSource,
    private readonly options: EdgeAudiencesOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The sandbox's compiled edge audiences in evaluation order (reloaded when older than `refreshMs`). */
  async forSandbox(sandboxId: string): Promise<readonly CompiledEdgeAudience[]> {
    const entry = this.sandboxes.get(sandboxId);
    if (entry && this.now() - entry.loadedAt <= this.refreshMs) return entry.audiences;
    let loading = this.loading.get(sandboxId);
    if (!loading) {
      loading = this.reload(sandboxId).finally(() => this.loading.delete(sandboxId));
      this.loading.set(sandboxId, loading);
    }
    await loading;
    return this.sandboxes.get(sandboxId)?.audiences ?? [];
  }

  /** Drops the cached list (e.g. after an audience changed) so the next request reloads it. */
  invalidate(sandboxId: string): void {
    this.sandboxes.delete(sandboxId);
  }

  private async reload(sandboxId: string): Promise<void> {
    const listed = (await this.source.list(sandboxId)).filter((a) => a.evaluationInfo.synchronous.enabled && a.origin !== 'external');
    const next: CompiledEdgeAudience[] = [];
    for (const audience of dependencyOrder(listed)) {
      const key = `${audience.id}@${audience.updateTime}`;
      let compiled = this.compiled.get(key);
      if (!compiled) {
        try {
          compiled = { id: audience.id, name: audience.name, version: audience.updateTime, expression: compileExpression(parseOrThrow(audience.expression.value)) };
        } catch (err) {
          this.options.onError?.(new Error(`edge audience ${audience.id} cannot be compiled: ${(err as Error).message}`));
          continue;
        }
        this.compiled.set(key, compiled);
      }
      next.push(compiled);
    }
    this.sandboxes.set(sandboxId, { loadedAt: this.now(), audiences: next });
    // Forget compiled versions no sandbox lists any more.
    const live = new Set<CompiledEdgeAudience>();
    for (const entry of this.sandboxes.values()) for (const a of entry.audiences) live.add(a);
    for (const [key, compiled] of this.compiled) if (!live.has(compiled)) this.compiled.delete(key);
  }
}

export interface EdgeEvaluationInput {
  profile: JsonObject;
  events: readonly JsonObject[];
  now: number;
}

export interface EdgeEvaluation {
  /** Every audience the person is in: the projection's memberships, with edge audiences re-decided now. */
  memberships: Record<string, string>;
  /** Edge audiences the person qualifies for in this request. */
  qualified: string[];
}

/**
 * Evaluates edge audiences in order over the profile, its recent events and this request's
 * events. An edge audience's answer here replaces the stored membership (it may have been
 * realized or exited by this very event); other audiences keep the projection's status.
 */
export function evaluateEdgeAudiences(audiences: readonly CompiledEdgeAudience[], input: EdgeEvaluationInput, projected: Readonly<Record<string, string>>): EdgeEvaluation {
  const memberships: Record<string, string> = { ...projected };
  const qualified: string[] = [];
  const inSegment = (id: string) => memberships[id] === 'realized' || memberships[id] === 'existing';
  for (const audience of audiences) {
    const matches = audience.expression.matches({ profile: input.profile, events: input.events, now: input.now, inSegment });
    if (matches) {
      qualified.push(audience.id);
      if (!inSegment(audience.id)) memberships[audience.id] = 'realized';
    } else {
      delete memberships[audience.id];
    }
  }
  return { memberships, qualified };
}
