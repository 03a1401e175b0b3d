/**
 * Validating an activation against its destination type (schedules, identity requirements),
 * the sandbox's audiences and namespaces, and the governance guard: every problem named by field.
 *
 * @example
 *   const activation = await buildActivation(deps, sandbox, newId('act'), input, now, now);
 */
import { problem, type FieldError } from '../errors.ts';
import type { AnyDestinationDefinition } from './destinations/registry.ts';
import type { ActivationGuard } from './guard.ts';
import { identityField } from './identities.ts';
import type { Activation, ActivationInput } from './model.ts';
import type { ActivationSources } from './sources.ts';
import type { StoredActivation, StoredDestination } from './store.ts';

export interface ValidationDeps {
  sources: ActivationSources;
  guard: ActivationGuard;
  /** Throws DESTINATION_NOT_FOUND. */
  destination(sandboxId: string, id: string): Promise<StoredDestination>;
  definition(type: string): AnyDestinationDefinition;
}

const invalid = (detail: string, errors: FieldError[]) => problem('INVALID_ACTIVATION', detail, { errors });

/** The activation to store, or a 404/422 problem naming what is wrong. */
export async function buildActivation(deps: ValidationDeps, sandbox: { id: string; name: string }, id: string, input: ActivationInput, createdAt: string, updatedAt: string): Promise<StoredActivation> {
  const destination = await deps.destination(sandbox.id, input.destinationId);
  const definition = deps.definition(destination.type);
  const schedule = input.schedule;
  if (!definition.schedules.includes(schedule.type)) {
    throw invalid(`${definition.type} destinations support ${definition.schedules.join(' and ')} schedules`, [{ path: 'schedule.type', message: `must be ${definition.schedules.join(' or ')}` }]);
  }
  if (schedule.type === 'batch' && schedule.frequency === 'everyNHours' && schedule.everyHours === undefined) {
    throw invalid('everyNHours needs everyHours', [{ path: 'schedule.everyHours', message: 'is required for everyNHours' }]);
  }
  const errors: FieldError[] = [];
  for (const [i, audienceId] of input.audienceIds.entries()) {
    try {
      await deps.sources.audience(sandbox.id, audienceId);
    } catch {
      errors.push({ path: `audienceIds[${i}]`, message: `audience ${audienceId} does not exist in this sandbox` });
    }
  }
  const mappings = input.mappings ?? [...definition.defaultMappings];
  const seen = new Set<string>();
  for (const [i, m] of mappings.entries()) {
    if (seen.has(m.destination)) errors.push({ path: `mappings[${i}].destination`, message: `field ${m.destination} is mapped twice` });
    seen.add(m.destination);
  }
  const required = definition.identities;
  const identities: Activation['identities'] = [];
  for (const [i, s] of (input.identities ?? []).entries()) {
    if (!(await deps.sources.namespaceExists(sandbox.id, s.namespace))) {
      errors.push({ path: `identities[${i}].namespace`, message: `unknown identity namespace ${s.namespace}` });
      continue;
    }
    if (required.namespaces.length > 0 && !required.namespaces.includes(s.namespace)) {
      errors.push({ path: `identities[${i}].namespace`, message: `${definition.type} accepts ${required.namespaces.join(', ')}` });
      continue;
    }
    if (required.hashing === 'required' && s.hashed === false) {
      errors.push({ path: `identities[${i}].hashed`, message: `${definition.type} takes hashed identities only` });
      continue;
    }
    if (required.hashing === 'never' && s.hashed === true) {
      errors.push({ path: `identities[${i}].hashed`, message: `${definition.type} sends to the plain ${s.namespace} identity; map it with hashed: false` });
      continue;
    }
    const hashed = required.hashing === 'required' || s.hashed === true;
    identities.push({ namespace: s.namespace, hashed, field: identityField(s.namespace, hashed) });
  }
  if (errors.length > 0) throw invalid(`the activation is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  if (identities.length < required.minimum) {
    const accepted = required.namespaces.length > 0 ? required.namespaces.join(' or ') : 'any namespace';
    throw problem('ACTIVATION_IDENTITY_MISSING', `${definition.type} destinations need at least ${required.minimum} identity (${accepted}); the activation maps ${identities.length}`, {
      errors: [{ path: 'identities', message: `needs ${accepted}` }],
    });
  }
  const verdict = await deps.guard.check({
    sandboxId: sandbox.id,
    activationId: id,
    destinationId: destination.id,
    destinationType: destination.type,
    ...(input.marketingActionId ? { marketingActionId: input.marketingActionId } : {}),
    audienceIds: input.audienceIds,
    mappedPaths: mappings.map((m) => m.source),
    namespaces: identities.map((i) => i.namespace),
  });
  if (!verdict.allowed) throw problem('ACTIVATION_BLOCKED', verdict.reason, { ...(verdict.violations ? { violations: verdict.violations } : {}) });
  return {
    id,
    sandboxId: sandbox.id,
    sandboxName: sandbox.name,
    name: input.name,
    destinationId: destination.id,
    destinationType: destination.type,
    audienceIds: input.audienceIds,
    mappings,
    identities,
    schedule,
    ...(input.marketingActionId ? { marketingActionId: input.marketingActionId } : {}),
    enabled: input.enabled ?? true,
    createdAt,
    updatedAt,
  };
}
