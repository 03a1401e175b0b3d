/**
 * Audience service: validates PQL (every syntax error with its position, warnings for fields no
 * schema defines), classifies the evaluation method with reasons, resolves `inSegment`
 * dependencies (by id or name) and refuses cycles, and stores audiences.
 *
 * @example
 *   const check = await audiences.validate(sandbox, { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' });
 *   check.valid; check.classification?.method; // true, 'edge'
 */
import { problem } from '../../errors.ts';
import type { ProfileService } from '../../profile/service.ts';
import type { SchemaService } from '../../schema/service.ts';
import { newId } from '../../storage/ids.ts';
import { analyze, classifyEvaluation, fromJson, parse, print, toJson, type Expr, type PqlAnalysis } from '../pql/index.ts';
import { unknownFieldWarnings } from './field-hints.ts';
import type { Audience, AudienceInput, Classification, Expression, ValidationIssue } from './model.ts';
import type { AudienceStore } from './store.ts';

export interface Validation {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Canonical PQL text, when valid. */
  text?: string;
  ast?: Expr;
  classification?: Classification;
  /** Audience ids read through inSegment, resolved. */
  dependencies: string[];
}

interface SandboxRef {
  id: string;
  name: string;
}

export class AudienceService {
  private readonly deletedListeners: ((sandboxId: string, audienceId: string) => Promise<void>)[] = [];

  constructor(
    private readonly store: AudienceStore,
    private readonly schemas: SchemaService,
    private readonly profiles: ProfileService,
  ) {}

  list(sandboxId: string) {
    return this.store.list(sandboxId);
  }

  /** Told when an audience is deleted, so its memberships go with it. */
  onDeleted(listener: (sandboxId: string, audienceId: string) => Promise<void>): void {
    this.deletedListeners.push(listener);
  }

  async get(sandboxId: string, id: string): Promise<Audience> {
    const audience = await this.store.get(sandboxId, id);
    if (!audience) throw problem('AUDIENCE_NOT_FOUND', `audience ${id} does not exist in this sandbox`);
    return audience;
  }

  async validate(sandbox: SandboxRef, expression: Expression, selfId?: string): Promise<Validation> {
    const parsed = this.parseExpression(expression);
    if (!parsed.ok) return { valid: false, errors: parsed.errors, warnings: [], dependencies: [] };
    const analysis = analyze(parsed.ast);
    const errors: ValidationIssue[] = [];
    const warnings = await this.fieldWarnings(sandbox.id, analysis);
    if (analysis.resultKind !== 'boolean' && analysis.resultKind !== 'array' && analysis.resultKind !== 'any') {
      errors.push({ message: `an audience expression must be true or false for a profile, but this one gives a ${analysis.resultKind}` });
    }
    const all = await this.store.list(sandbox.id);
    const dependencies: string[] = [];
    for (const ref of analysis.segmentIds) {
      const target = all.find((a) => a.id === ref) ?? all.find((a) => a.name === ref);
      if (!target) errors.push({ message: `inSegment("${ref}") names no audience of this sandbox` });
      else if (target.id === selfId) errors.push({ message: 'an audience cannot use itself through inSegment' });
      else dependencies.push(target.id);
    }
    const profileOnly = new Map(all.map((a) => [a.id, this.isProfileOnly(a)]));
    const verdict = classifyEvaluation(analysis, { isProfileOnlyAudience: (id) => profileOnly.get(id) ?? profileOnly.get(all.find((a) => a.name === id)?.id ?? '') });
    return {
      valid: errors.length === 0,
      errors,
      warnings,
      text: print(parsed.ast),
      ast: toJson(parsed.ast),
      classification: { method: verdict.method, reasons: verdict.reasons, meridianStreaming: verdict.meridianStreaming, meridianReasons: verdict.meridianReasons },
      dependencies,
    };
  }

  async create(sandbox: SandboxRef, input: AudienceInput): Promise<Audience> {
    const id = newId('aud');
    const audience = await this.build(sandbox, id, input, Date.now());
    await this.store.put(sandbox.id, audience);
    return audience;
  }

  async update(sandbox: SandboxRef, id: string, input: AudienceInput): Promise<Audience> {
    const current = await this.get(sandbox.id, id);
    const audience = await this.build(sandbox, id, input, current.creationTime);
    const cycle = await this.findCycle(sandbox.id, id, audience.dependencies);
    if (cycle) throw problem('AUDIENCE_CYCLE', `the audience would depend on itself: ${cycle.join(' → ')}`, { cycle });
    await this.store.put(sandbox.id, audience);
    return audience;
  }

  async delete(sandboxId: string, id: string): Promise<void> {
    await this.get(sandboxId, id);
    const users = (await this.store.list(sandboxId)).filter((a) => a.dependencies.includes(id));
    if (users.length > 0) throw problem('AUDIENCE_IN_USE', `audiences ${users.map((a) => `"${a.name}"`).join(', ')} use this audience through inSegment`);
    await this.store.delete(sandboxId, id);
    for (const listener of this.deletedListeners) await listener(sandboxId, id);
  }

  deleteSandbox(sandboxId: string) {
    return this.store.deleteSandbox(sandboxId);
  }

  private async build(sandbox: SandboxRef, id: string, input: AudienceInput, creationTime: number): Promise<Audience> {
    const check = await this.validate(sandbox, input.expression, id);
    if (!check.valid || !check.text || !check.classification) {
      throw problem('PQL_INVALID', check.errors.map((e) => e.message).join('; '), { errors: check.errors.map((e) => ({ path: e.path ?? 'expression.value', message: e.message, ...(e.line ? { line: e.line, column: e.column, offset: e.offset } : {}) })) });
    }
    const policy = await this.profiles.policy(sandbox.id, input.mergePolicyId);
    const method = chooseMethod(check.classification.method, input);
    const now = Date.now();
    return {
      id,
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      expression: { type: 'PQL', format: 'pql/text', value: check.text },
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: method !== 'batch' }, synchronous: { enabled: method === 'edge' } },
      classification: { ...check.classification, method },
      mergePolicyId: policy.id,
      ttlInDays: input.ttlInDays ?? 30,
      schema: { name: input.schema?.name ?? '_xdm.context.profile' },
      profileInstanceId: 'ups',
      dependencies: check.dependencies,
      sandbox: { sandboxId: sandbox.id, sandboxName: sandbox.name },
      creationTime,
      updateTime: now,
      updateEpoch: Math.floor(now / 1000),
    };
  }

  /** A path from `id` back to itself through dependencies, if the new dependencies close one. */
  private async findCycle(sandboxId: string, id: string, dependencies: readonly string[]): Promise<string[] | undefined> {
    const byId = new Map((await this.store.list(sandboxId)).map((a) => [a.id, a]));
    const visit = (current: string, path: string[], seen: Set<string>): string[] | undefined => {
      if (current === id) return path;
      if (seen.has(current)) return undefined;
      seen.add(current);
      for (const next of byId.get(current)?.dependencies ?? []) {
        const found = visit(next, [...path, next], seen);
        if (found) return found;
      }
      return undefined;
    };
    for (const dep of dependencies) {
      const found = visit(dep, [id, dep], new Set());
      if (found) return found;
    }
    return undefined;
  }

  private parseExpression(expression: Expression): { ok: true; ast: Expr } | { ok: false; errors: ValidationIssue[] } {
    if (expression.format === 'pql/json') {
      const result = fromJson(expression.value);
      return result.ok ? { ok: true, ast: result.ast } : { ok: false, errors: result.errors.map((e) => ({ message: `${e.path}: ${e.message}`, path: e.path })) };
    }
    if (typeof expression.value !== 'string') return { ok: false, errors: [{ message: 'pql/text needs the expression as a string', path: 'expression.value' }] };
    const result = parse(expression.value);
    if (result.ok) return { ok: true, ast: result.ast };
    return { ok: false, errors: result.errors.map((e) => ({ message: e.message, line: e.line, column: e.column, offset: e.offset })) };
  }

  private isProfileOnly(audience: Audience): boolean {
    const result = parse(audience.expression.value);
    return result.ok && analyze(result.ast).shape === 'profileOnly';
  }

  private async fieldWarnings(sandboxId: string, analysis: PqlAnalysis): Promise<ValidationIssue[]> {
    const profileFields: string[] = [];
    const eventFields: string[] = [];
    const maps: string[] = ['segmentMembership', 'computedAttributes'];
    for (const doc of await this.schemas.list(sandboxId)) {
      const { leaves } = await this.schemas.compile(sandboxId, doc.id);
      for (const leaf of leaves) {
        (doc.class === 'profile' ? profileFields : eventFields).push(leaf.path);
        if (leaf.map) maps.push(leaf.path);
      }
    }
    const underMap = (path: string) => maps.some((m) => path === m || path.startsWith(`${m}.`));
    return [
      ...unknownFieldWarnings(analysis.profilePaths.filter((p) => !underMap(p)), profileFields, 'profile'),
      ...unknownFieldWarnings(analysis.eventPaths.filter((p) => !underMap(p) && p !== 'timestamp' && p !== '_id'), eventFields, 'event'),
    ];
  }
}

/** The suite's rule: a definition asking only for batch is evaluated in batch, whatever it could do. */
function chooseMethod(eligible: Classification['method'], input: AudienceInput): Classification['method'] {
  const info = input.evaluationInfo;
  if (!info) return eligible;
  const rank = { batch: 0, streaming: 1, edge: 2 } as const;
  const asked = info.synchronous?.enabled ? 'edge' : info.continuous?.enabled ? 'streaming' : 'batch';
  return rank[asked] < rank[eligible] ? asked : eligible;
}
