/**
 * Governance routes: data-usage labels, marketing actions, policies, the policy evaluation API,
 * and a person's resolved consent. Changing governance needs the `manage` permission (admins):
 * an editor must not be able to switch off the policy that blocks their own activation.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { GovernanceLabel, LabelInput, MarketingAction, MarketingActionInput, Policy, PolicyInput, PolicyPatch, UsageDecision, UsageRequest } from '../../governance/model.ts';
import { CONSENT_PURPOSES, consentSummary } from '../../governance/consent.ts';
import { IdentityQuery, parseIdentityParam } from './identity-routes.ts';
import { IdParams, problems } from './common.ts';

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const LabelPut = Type.Omit(LabelInput, ['name'], { additionalProperties: false });
const ActionPut = Type.Omit(MarketingActionInput, ['name'], { additionalProperties: false });

const ConsentDecision = Type.Object({
  purpose: Type.String({ enum: [...CONSENT_PURPOSES] }),
  allowed: Type.Boolean(),
  value: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({ description: 'the profile field that decided, or "default"' }),
  reason: Type.String(),
});

const tags = ['governance'];

export async function governanceRoutes(parent: FastifyInstance, { governance, profiles, tenancy, settleProfiles }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const audit = (actor: string, sandbox: string, action: string, resourceType: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType, resourceId: id });

  // ── labels ──
  app.get('/governance/labels', {
    config: { permission: 'read' },
    schema: { tags, summary: 'List data-usage labels: the core C, I and S labels and this sandbox’s custom labels', response: { 200: Type.Object({ items: Type.Array(GovernanceLabel) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await governance.labels(request.sandbox.id) }));

  app.post('/governance/labels', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Create a custom label', body: LabelInput, response: { 201: GovernanceLabel, ...problems(400, 401, 403, 409) } },
  }, async (request, reply) => {
    const label = await governance.putLabel(request.sandbox.id, request.body, { create: true });
    await audit(request.principal.keyId, request.sandbox.name, 'label.create', 'label', label.name);
    return reply.status(201).send(label);
  });

  app.get('/governance/labels/:name', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a label', params: NameParams, response: { 200: GovernanceLabel, ...problems(401, 403, 404) } },
  }, async (request) => governance.label(request.sandbox.id, request.params.name));

  app.put('/governance/labels/:name', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Create or replace a custom label', params: NameParams, body: LabelPut, response: { 200: GovernanceLabel, ...problems(400, 401, 403, 409) } },
  }, async (request) => {
    const label = await governance.putLabel(request.sandbox.id, { ...request.body, name: checkedName(request.params.name, 'label') });
    await audit(request.principal.keyId, request.sandbox.name, 'label.put', 'label', label.name);
    return label;
  });

  app.delete('/governance/labels/:name', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Delete a custom label no policy uses', params: NameParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await governance.deleteLabel(request.sandbox.id, request.params.name);
    await audit(request.principal.keyId, request.sandbox.name, 'label.delete', 'label', request.params.name);
    return reply.status(204).send(null);
  });

  // ── marketing actions ──
  app.get('/governance/marketing-actions', {
    config: { permission: 'read' },
    schema: { tags, summary: 'List marketing actions: the core ones and this sandbox’s custom ones', response: { 200: Type.Object({ items: Type.Array(MarketingAction) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await governance.marketingActions(request.sandbox.id) }));

  app.post('/governance/marketing-actions', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Create a custom marketing action', body: MarketingActionInput, response: { 201: MarketingAction, ...problems(400, 401, 403, 409) } },
  }, async (request, reply) => {
    const action = await governance.putMarketingAction(request.sandbox.id, request.body, { create: true });
    await audit(request.principal.keyId, request.sandbox.name, 'marketingAction.create', 'marketingAction', action.name);
    return reply.status(201).send(action);
  });

  app.get('/governance/marketing-actions/:name', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a marketing action', params: NameParams, response: { 200: MarketingAction, ...problems(401, 403, 404) } },
  }, async (request) => governance.marketingAction(request.sandbox.id, request.params.name));

  app.put('/governance/marketing-actions/:name', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Create or replace a custom marketing action', params: NameParams, body: ActionPut, response: { 200: MarketingAction, ...problems(400, 401, 403, 409) } },
  }, async (request) => {
    const action = await governance.putMarketingAction(request.sandbox.id, { ...request.body, name: checkedName(request.params.name, 'marketing action') });
    await audit(request.principal.keyId, request.sandbox.name, 'marketingAction.put', 'marketingAction', action.name);
    return action;
  });

  app.delete('/governance/marketing-actions/:name', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Delete a custom marketing action no policy uses', params: NameParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await governance.deleteMarketingAction(request.sandbox.id, request.params.name);
    await audit(request.principal.keyId, request.sandbox.name, 'marketingAction.delete', 'marketingAction', request.params.name);
    return reply.status(204).send(null);
  });

  // ── policies ──
  app.get('/governance/policies', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'List policies: core policies (with this sandbox’s status) and custom ones',
      querystring: Type.Object({ status: Type.Optional(Type.String({ enum: ['ENABLED', 'DISABLED', 'DRAFT'] })), marketingAction: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ items: Type.Array(Policy) }), ...problems(401, 403) },
    },
  }, async (request) => {
    const { status, marketingAction } = request.query;
    const items = (await governance.policies(request.sandbox.id)).filter((p) => (!status || p.status === status) && (!marketingAction || p.marketingAction === marketingAction));
    return { items };
  });

  app.post('/governance/policies', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Create a policy: a marketing action it denies for data matching a label expression', body: PolicyInput, response: { 201: Policy, ...problems(400, 401, 403, 422) } },
  }, async (request, reply) => {
    const policy = await governance.createPolicy(request.sandbox.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'policy.create', 'policy', policy.id);
    return reply.status(201).send(policy);
  });

  app.get('/governance/policies/:id', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a policy', params: IdParams, response: { 200: Policy, ...problems(401, 403, 404) } },
  }, async (request) => governance.policy(request.sandbox.id, request.params.id));

  app.put('/governance/policies/:id', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Replace a custom policy', params: IdParams, body: PolicyInput, response: { 200: Policy, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (request) => {
    const policy = await governance.updatePolicy(request.sandbox.id, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'policy.update', 'policy', policy.id);
    return policy;
  });

  app.patch('/governance/policies/:id', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Enable or disable a policy (core or custom)', params: IdParams, body: PolicyPatch, response: { 200: Policy, ...problems(400, 401, 403, 404) } },
  }, async (request) => {
    const policy = await governance.setPolicyStatus(request.sandbox.id, request.params.id, request.body.status);
    await audit(request.principal.keyId, request.sandbox.name, `policy.${request.body.status.toLowerCase()}`, 'policy', policy.id);
    return policy;
  });

  app.delete('/governance/policies/:id', {
    config: { permission: 'manage' },
    schema: { tags, summary: 'Delete a custom policy', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await governance.deletePolicy(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'policy.delete', 'policy', request.params.id);
    return reply.status(204).send(null);
  });

  // ── evaluation ──
  app.post('/governance/evaluate', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'Policy evaluation: may this data (labels, audiences, mapped fields, merge policy, datasets) be used for a marketing action? Violations come with their lineage',
      body: UsageRequest,
      response: { 200: UsageDecision, ...problems(400, 401, 403, 422) },
    },
  }, async (request) => governance.evaluateUsage({ sandboxId: request.sandbox.id, ...request.body }));

  app.get('/governance/marketing-actions/:name/constraints', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'The suite’s constraints call: the policies a marketing action would violate for the given labels (empty = allowed)',
      params: NameParams,
      querystring: Type.Object({ duleLabels: Type.String({ minLength: 1, maxLength: 2000, description: 'comma-separated labels, e.g. C1,C3' }) }),
      response: {
        200: Type.Object({ marketingActionRef: Type.String(), duleLabels: Type.Array(Type.String()), violatedPolicies: Type.Array(Policy) }),
        ...problems(400, 401, 403, 404, 422),
      },
    },
  }, async (request) => {
    const action = await governance.marketingAction(request.sandbox.id, request.params.name);
    const labels = request.query.duleLabels.split(',').map((l) => l.trim()).filter((l) => l !== '');
    const decision = await governance.evaluateUsage({ sandboxId: request.sandbox.id, marketingActionId: action.name, labels });
    const policies = await governance.policies(request.sandbox.id);
    return {
      marketingActionRef: `/api/v1/governance/marketing-actions/${action.name}`,
      duleLabels: decision.labels,
      violatedPolicies: decision.violations.flatMap((v) => policies.filter((p) => p.id === v.policyId)),
    };
  });

  // ── consent ──
  app.get('/profiles/consent', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'The consent decisions of the person holding an identity, per purpose, with the value and reason that decided each',
      querystring: Type.Intersect([IdentityQuery, Type.Object({ mergePolicyId: Type.Optional(Type.String()) })]),
      response: {
        200: Type.Object({
          profileId: Type.String(),
          generalOptOut: Type.Boolean(),
          preferredChannel: Type.Union([Type.String(), Type.Null()]),
          decisions: Type.Array(ConsentDecision),
        }),
        ...problems(400, 401, 403, 404),
      },
    },
  }, async (request) => {
    const { namespace, value } = parseIdentityParam(request.query.identity);
    await settleProfiles();
    const profile = await profiles.lookup(request.sandbox.id, namespace, value, request.query.mergePolicyId);
    if (!profile) throw problem('NOT_FOUND', `no profile holds ${namespace}:${value} in this sandbox`);
    return { profileId: profile.profileId, ...consentSummary(profile) };
  });
}

function checkedName(name: string, what: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name) || (what === 'label' && name.length > 32)) {
    throw problem('VALIDATION_FAILED', `"${name}" is not a valid ${what} name`, { errors: [{ path: 'params.name', message: 'must start with a letter; letters, digits, _ and - only' }] });
  }
  return name;
}
