/**
 * Governance service: the label and marketing-action catalogs (core plus custom per sandbox),
 * policies (core policies with a per-sandbox status, custom policies), and `evaluateUsage`, the
 * policy check the activation engine calls before it sends anything: it gathers the labels a use
 * carries (fields an audience reads, mapped fields, datasets) through the merge policy's datasets
 * and reports each violated policy with the lineage that caused it.
 *
 * @example
 *   const decision = await governance.evaluateUsage({ sandboxId, marketingActionId: 'exportToThirdParty', audienceIds: [audience.id], fieldPaths: ['personalEmail.address'] });
 *   if (!decision.allowed) console.log(decision.violations[0].explanation);
 */
import { MeridianError, problem, type FieldError } from '../errors.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { Dataset } from '../catalog/model.ts';
import type { SchemaService } from '../schema/service.ts';
import type { ProfileService } from '../profile/service.ts';
import type { MergePolicy } from '../profile/merge-policy.ts';
import type { AudienceService } from '../segmentation/audiences/service.ts';
import { analyze, parse } from '../segmentation/pql/index.ts';
import { newId } from '../storage/ids.ts';
import { CORE_ACTION_NAMES, CORE_LABEL_NAMES, CORE_LABELS, CORE_MARKETING_ACTIONS, CORE_POLICIES } from './core.ts';
import { checkExpression, describeExpression, labelsOf, matchExpression } from './expression.ts';
import { dedupeLineage, lineageOfDataset, lineageOfField, type DatasetFacts, type ReadField } from './lineage.ts';
import type { GovernanceLabel, LabelExpression, LabelInput, LineageEntry, MarketingAction, MarketingActionInput, Policy, PolicyInput, PolicyStatus, UsageDecision, Violation } from './model.ts';
import type { GovernanceStore } from './store.ts';

/** What governance reads of other domains, through their services. */
export interface GovernanceSources {
  catalog: Pick<CatalogService, 'list' | 'get'>;
  schemas: Pick<SchemaService, 'compile'>;
  profiles: Pick<ProfileService, 'policy'>;
  audiences: Pick<AudienceService, 'get'>;
}

/** The question `evaluateUsage` answers: may this data be used for this marketing action? */
export interface UsageQuery {
  sandboxId: string;
  marketingActionId: string;
  /** Labels to evaluate directly (e.g. a destination's own labels). */
  labels?: readonly string[];
  /** Audiences whose expressions read fields (followed through inSegment). */
  audienceIds?: readonly string[];
  /** Mapped profile fields; `xEvent.`-prefixed paths are event fields. */
  fieldPaths?: readonly string[];
  /** The merge policy whose datasets supply the fields; default: each audience's own, else the sandbox default. */
  mergePolicyId?: string;
  /** Datasets used directly: all their labels apply, and they replace the merge policy's datasets. */
  datasetIds?: readonly string[];
  /** Identity namespaces exported: the schema fields declared to hold them carry their labels (Email → personalEmail.address → I1). */
  identityNamespaces?: readonly string[];
}

/** Paths an audience reads that are not dataset fields: memberships are followed as audiences instead. */
const DERIVED_ROOTS = ['segmentMembership', 'computedAttributes'];

export class GovernanceService {
  private readonly changeListeners: ((sandboxId: string) => void)[] = [];

  constructor(
    private readonly store: GovernanceStore,
    private readonly sources: GovernanceSources,
  ) {}

  /**
   * Called after a label, marketing action or policy of a sandbox changes (activation drops its
   * cached verdicts). Dataset and schema labels belong to the catalog and schema domains and are
   * not announced here.
   */
  onChange(listener: (sandboxId: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(sandboxId: string): void {
    for (const listener of this.changeListeners) listener(sandboxId);
  }

  // ── labels ──────────────────────────────────────────────────────────────────────────────────

  async labels(sandboxId: string): Promise<GovernanceLabel[]> {
    return [...CORE_LABELS, ...(await this.store.listLabels(sandboxId))];
  }

  async label(sandboxId: string, name: string): Promise<GovernanceLabel> {
    const found = (await this.labels(sandboxId)).find((l) => l.name === name);
    if (!found) throw problem('LABEL_NOT_FOUND', `label ${name} does not exist in this sandbox`);
    return found;
  }

  /** Creates or replaces a custom label. */
  async putLabel(sandboxId: string, input: LabelInput, options: { create?: boolean } = {}): Promise<GovernanceLabel> {
    if (CORE_LABEL_NAMES.has(input.name)) throw problem('GOVERNANCE_CORE_READ_ONLY', `${input.name} is a core label`);
    const existing = (await this.store.listLabels(sandboxId)).some((l) => l.name === input.name);
    if (options.create && existing) throw problem('NAME_TAKEN', `a label named "${input.name}" already exists`);
    const label: GovernanceLabel = { name: input.name, friendlyName: input.friendlyName ?? input.name, description: input.description ?? '', category: 'custom', core: false };
    await this.store.putLabel(sandboxId, label);
    this.changed(sandboxId);
    return label;
  }

  async deleteLabel(sandboxId: string, name: string): Promise<void> {
    if (CORE_LABEL_NAMES.has(name)) throw problem('GOVERNANCE_CORE_READ_ONLY', `${name} is a core label`);
    const users = (await this.store.listPolicies(sandboxId)).filter((p) => labelsOf(p.deny).includes(name));
    if (users.length > 0) throw problem('GOVERNANCE_IN_USE', `policies ${users.map((p) => `"${p.name}"`).join(', ')} use label ${name}`);
    if (!(await this.store.deleteLabel(sandboxId, name))) throw problem('LABEL_NOT_FOUND', `label ${name} does not exist in this sandbox`);
    this.changed(sandboxId);
  }

  // ── marketing actions ───────────────────────────────────────────────────────────────────────

  async marketingActions(sandboxId: string): Promise<MarketingAction[]> {
    return [...CORE_MARKETING_ACTIONS, ...(await this.store.listActions(sandboxId))];
  }

  async marketingAction(sandboxId: string, name: string): Promise<MarketingAction> {
    const found = (await this.marketingActions(sandboxId)).find((a) => a.name === name);
    if (!found) throw problem('MARKETING_ACTION_NOT_FOUND', `marketing action ${name} does not exist in this sandbox`);
    return found;
  }

  async putMarketingAction(sandboxId: string, input: MarketingActionInput, options: { create?: boolean } = {}): Promise<MarketingAction> {
    if (CORE_ACTION_NAMES.has(input.name)) throw problem('GOVERNANCE_CORE_READ_ONLY', `${input.name} is a core marketing action`);
    const existing = (await this.store.listActions(sandboxId)).some((a) => a.name === input.name);
    if (options.create && existing) throw problem('NAME_TAKEN', `a marketing action named "${input.name}" already exists`);
    const action: MarketingAction = { name: input.name, friendlyName: input.friendlyName ?? input.name, description: input.description ?? '', core: false };
    await this.store.putAction(sandboxId, action);
    this.changed(sandboxId);
    return action;
  }

  async deleteMarketingAction(sandboxId: string, name: string): Promise<void> {
    if (CORE_ACTION_NAMES.has(name)) throw problem('GOVERNANCE_CORE_READ_ONLY', `${name} is a core marketing action`);
    const users = (await this.store.listPolicies(sandboxId)).filter((p) => p.marketingAction === name);
    if (users.length > 0) throw problem('GOVERNANCE_IN_USE', `policies ${users.map((p) => `"${p.name}"`).join(', ')} deny marketing action ${name}`);
    if (!(await this.store.deleteAction(sandboxId, name))) throw problem('MARKETING_ACTION_NOT_FOUND', `marketing action ${name} does not exist in this sandbox`);
    this.changed(sandboxId);
  }

  // ── policies ────────────────────────────────────────────────────────────────────────────────

  /** Core policies with this sandbox's status, then custom policies. */
  async policies(sandboxId: string): Promise<Policy[]> {
    const statuses = await this.store.coreStatuses(sandboxId);
    const core = CORE_POLICIES.map((p) => {
      const changed = statuses.get(p.id);
      return changed ? { ...p, status: changed.status, updatedAt: changed.updatedAt } : { ...p };
    });
    return [...core, ...(await this.store.listPolicies(sandboxId))];
  }

  async policy(sandboxId: string, id: string): Promise<Policy> {
    const found = (await this.policies(sandboxId)).find((p) => p.id === id);
    if (!found) throw problem('POLICY_NOT_FOUND', `policy ${id} does not exist in this sandbox`);
    return found;
  }

  async createPolicy(sandboxId: string, input: PolicyInput): Promise<Policy> {
    const deny = await this.checkPolicy(sandboxId, input);
    const now = new Date().toISOString();
    const policy: Policy = {
      id: newId('pol'),
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      marketingAction: input.marketingAction,
      deny,
      // As in the suite, a policy is a draft until it is enabled.
      status: input.status ?? 'DRAFT',
      core: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.putPolicy(sandboxId, policy);
    this.changed(sandboxId);
    return policy;
  }

  async updatePolicy(sandboxId: string, id: string, input: PolicyInput): Promise<Policy> {
    const current = await this.policy(sandboxId, id);
    if (current.core) throw problem('GOVERNANCE_CORE_READ_ONLY', `${current.name} is a core policy: only its status can change (PATCH {"status": ...})`);
    const deny = await this.checkPolicy(sandboxId, input);
    const policy: Policy = {
      id,
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      marketingAction: input.marketingAction,
      deny,
      status: input.status ?? current.status,
      core: false,
      ...(current.createdAt ? { createdAt: current.createdAt } : {}),
      updatedAt: new Date().toISOString(),
    };
    await this.store.putPolicy(sandboxId, policy);
    this.changed(sandboxId);
    return policy;
  }

  async setPolicyStatus(sandboxId: string, id: string, status: PolicyStatus): Promise<Policy> {
    const current = await this.policy(sandboxId, id);
    const updatedAt = new Date().toISOString();
    if (current.core) await this.store.setCoreStatus(sandboxId, id, status, updatedAt);
    else await this.store.putPolicy(sandboxId, { ...current, status, updatedAt });
    this.changed(sandboxId);
    return { ...current, status, updatedAt };
  }

  async deletePolicy(sandboxId: string, id: string): Promise<void> {
    const current = await this.policy(sandboxId, id);
    if (current.core) throw problem('GOVERNANCE_CORE_READ_ONLY', `${current.name} is a core policy: disable it instead`);
    await this.store.deletePolicy(sandboxId, id);
    this.changed(sandboxId);
  }

  deleteSandbox(sandboxId: string): Promise<void> {
    return this.store.deleteSandbox(sandboxId);
  }

  // ── evaluation ──────────────────────────────────────────────────────────────────────────────

  /**
   * May this data be used for this marketing action? Gathers every label the use carries, with
   * its lineage, and checks each ENABLED policy denying the action. `allowed` is false as soon as
   * one policy matches. Unknown ids are answered with USAGE_REQUEST_INVALID naming the field.
   */
  async evaluateUsage(query: UsageQuery): Promise<UsageDecision> {
    const { sandboxId } = query;
    const errors: FieldError[] = [];
    const actions = await this.marketingActions(sandboxId);
    if (!actions.some((a) => a.name === query.marketingActionId)) {
      errors.push({ path: 'marketingActionId', message: `unknown marketing action "${query.marketingActionId}" (see GET /api/v1/governance/marketing-actions)` });
    }
    const knownLabels = new Set((await this.labels(sandboxId)).map((l) => l.name));
    (query.labels ?? []).forEach((label, i) => {
      if (!knownLabels.has(label)) errors.push({ path: `labels[${i}]`, message: `unknown label "${label}"` });
    });

    const lineage: LineageEntry[] = (query.labels ?? []).map((label) => ({ label, field: null, dataset: null, source: 'request' as const }));
    const fields: (ReadField & { policyId?: string })[] = [];
    await this.audienceFields(sandboxId, query.audienceIds ?? [], fields, errors);
    for (const raw of query.fieldPaths ?? []) {
      fields.push(raw.startsWith('xEvent.') ? { path: raw.slice('xEvent.'.length), class: 'event' } : { path: raw, class: 'profile' });
    }

    const datasets = await this.sources.catalog.list(sandboxId);
    let explicit: Dataset[] | undefined;
    if (query.datasetIds) {
      explicit = [];
      query.datasetIds.forEach((id, i) => {
        const found = datasets.find((d) => d.id === id || d.name === id);
        if (found) explicit!.push(found);
        else errors.push({ path: `datasetIds[${i}]`, message: `no dataset ${id} in this sandbox` });
      });
    }
    let chosenPolicy: MergePolicy | undefined;
    if (query.mergePolicyId) chosenPolicy = await this.mergePolicy(sandboxId, query.mergePolicyId, 'mergePolicyId', errors);
    if (errors.length > 0) throw problem('USAGE_REQUEST_INVALID', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });

    const facts = new Map<string, DatasetFacts & { identities: readonly { path: string; namespace: string }[] }>();
    const factsOf = async (dataset: Dataset) => {
      let found = facts.get(dataset.id);
      if (!found) {
        const { doc, leaves } = await this.sources.schemas.compile(sandboxId, dataset.schemaId);
        found = { id: dataset.id, name: dataset.name, class: dataset.class, labels: dataset.labels, schemaLabels: doc.labels, leaves, identities: doc.identities };
        facts.set(dataset.id, found);
      }
      return found;
    };
    const eventDatasets = datasets.filter((d) => d.class === 'event' && d.profileEnabled);
    const scopeFor = async (policyId: string | undefined): Promise<Dataset[]> => {
      if (explicit) return explicit;
      const policy = chosenPolicy ?? (await this.sources.profiles.policy(sandboxId, policyId));
      return [...profileDatasetsOf(policy, datasets), ...eventDatasets];
    };

    if (explicit) for (const dataset of explicit) lineage.push(...lineageOfDataset(await factsOf(dataset)));
    const unmatched: string[] = [];
    for (const field of fields) {
      const scope = await Promise.all((await scopeFor(field.policyId)).map(factsOf));
      const found = lineageOfField(field, scope);
      if (found) lineage.push(...found);
      else unmatched.push(field.class === 'event' ? `xEvent.${field.path}` : field.path);
    }
    // An exported namespace reads the fields its datasets' schemas declare for it.
    if (query.identityNamespaces && query.identityNamespaces.length > 0) {
      const scope = await Promise.all((await scopeFor(undefined)).map(factsOf));
      for (const namespace of query.identityNamespaces) {
        for (const dataset of scope) {
          for (const descriptor of dataset.identities.filter((i) => i.namespace === namespace)) {
            lineage.push(...(lineageOfField({ path: descriptor.path, class: dataset.class }, [dataset]) ?? []));
          }
        }
      }
    }
    // Asked about a merge policy alone: everything it merges is in use.
    if (fields.length === 0 && !query.identityNamespaces?.length && !explicit && chosenPolicy) {
      for (const dataset of profileDatasetsOf(chosenPolicy, datasets)) lineage.push(...lineageOfDataset(await factsOf(dataset)));
    }

    const entries = dedupeLineage(lineage);
    const carried = new Set(entries.map((e) => e.label));
    const violations: Violation[] = [];
    for (const policy of await this.policies(sandboxId)) {
      if (policy.status !== 'ENABLED' || policy.marketingAction !== query.marketingActionId) continue;
      const match = matchExpression(policy.deny, carried);
      if (!match.matches) continue;
      const causes = entries.filter((e) => match.labels.includes(e.label));
      violations.push({
        policyId: policy.id,
        policyName: policy.name,
        marketingAction: policy.marketingAction,
        labels: match.labels,
        lineage: causes,
        explanation: explain(policy, match.labels, causes),
      });
    }
    return { marketingAction: query.marketingActionId, allowed: violations.length === 0, labels: [...carried].sort(), lineage: entries, violations, unmatchedFields: [...new Set(unmatched)] };
  }

  /** The fields each audience reads, following inSegment to the audiences it builds on. */
  private async audienceFields(sandboxId: string, ids: readonly string[], out: (ReadField & { policyId?: string })[], errors: FieldError[]): Promise<void> {
    const seen = new Set<string>();
    const visit = async (id: string, path: string | undefined): Promise<void> => {
      if (seen.has(id)) return;
      seen.add(id);
      let audience;
      try {
        audience = await this.sources.audiences.get(sandboxId, id);
      } catch (err) {
        if (err instanceof MeridianError && err.code === 'AUDIENCE_NOT_FOUND' && path) return void errors.push({ path, message: `no audience ${id} in this sandbox` });
        throw err;
      }
      const parsed = parse(audience.expression.value);
      if (!parsed.ok) return; // stored expressions were validated when saved
      const facts = analyze(parsed.ast);
      for (const p of facts.profilePaths) {
        if (!DERIVED_ROOTS.some((root) => p === root || p.startsWith(`${root}.`))) out.push({ path: p, class: 'profile', audienceId: audience.id, policyId: audience.mergePolicyId });
      }
      for (const p of facts.eventPaths) out.push({ path: p, class: 'event', audienceId: audience.id, policyId: audience.mergePolicyId });
      for (const dependency of audience.dependencies) await visit(dependency, undefined);
    };
    for (const [i, id] of ids.entries()) await visit(id, `audienceIds[${i}]`);
  }

  private async mergePolicy(sandboxId: string, id: string, path: string, errors: FieldError[]): Promise<MergePolicy | undefined> {
    try {
      return await this.sources.profiles.policy(sandboxId, id);
    } catch (err) {
      if (err instanceof MeridianError && err.status === 404) return void errors.push({ path, message: `no merge policy ${id} in this sandbox` });
      throw err;
    }
  }

  private async checkPolicy(sandboxId: string, input: PolicyInput): Promise<LabelExpression> {
    const errors: FieldError[] = [];
    if (!(await this.marketingActions(sandboxId)).some((a) => a.name === input.marketingAction)) {
      errors.push({ path: 'marketingAction', message: `unknown marketing action "${input.marketingAction}" (see GET /api/v1/governance/marketing-actions)` });
    }
    const known = new Set((await this.labels(sandboxId)).map((l) => l.name));
    errors.push(...checkExpression(input.deny, 'deny', known));
    if (errors.length > 0) throw problem('POLICY_INVALID', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    return input.deny as LabelExpression;
  }
}

/** The profile datasets a merge policy merges: every profile-enabled one, or the precedence list. */
export function profileDatasetsOf(policy: Pick<MergePolicy, 'attributeMerge'>, datasets: readonly Dataset[]): Dataset[] {
  const profileSets = datasets.filter((d) => d.class === 'profile' && d.profileEnabled);
  if (policy.attributeMerge.type !== 'dataSetPrecedence') return profileSets;
  const order = policy.attributeMerge.order ?? [];
  return profileSets.filter((d) => order.includes(d.id));
}

function explain(policy: Policy, labels: readonly string[], causes: readonly LineageEntry[]): string {
  const where = causes.map((e) => {
    if (e.source === 'request') return `${e.label} (given directly)`;
    const on = e.source === 'field' ? `field ${e.schemaField} of dataset ${e.datasetName ?? e.dataset}` : `dataset ${e.datasetName ?? e.dataset}`;
    const via = e.field ? ` read as ${e.field}${e.audienceId ? ` by audience ${e.audienceId}` : ''}` : '';
    return `${e.label} on ${on}${via}`;
  });
  return `policy "${policy.name}" denies ${policy.marketingAction} for ${describeExpression(policy.deny)}; the data carries ${labels.join(', ')}: ${where.join('; ')}`;
}
