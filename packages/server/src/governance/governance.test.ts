import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../testing/harness.ts';
import type { ActivationGuard } from '../activation/guard.ts';
import { governanceActivationGuard } from './activation-guard.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });

describe('governance', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  const created = async (method: string, path: string, body: unknown, options: { sandbox?: string } = {}) => {
    const res = await server.api(method, path, body, options);
    assert.ok(res.status === 201 || res.status === 200, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const evaluate = (body: unknown, options: { sandbox?: string } = {}) => server.api('POST', '/api/v1/governance/evaluate', body, options);

  test('the core catalog ships the C, I and S labels, the core marketing actions and disabled core policies', async () => {
    const labels = await server.api('GET', '/api/v1/governance/labels');
    const names = labels.body.items.map((l: { name: string }) => l.name);
    for (const name of ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10', 'C11', 'C12', 'I1', 'I2', 'S1', 'S2']) assert.ok(names.includes(name), name);
    const c2 = await server.api('GET', '/api/v1/governance/labels/C2');
    assert.equal(c2.body.category, 'contract');
    assert.match(c2.body.description, /third party/);
    const actions = await server.api('GET', '/api/v1/governance/marketing-actions');
    for (const name of ['emailTargeting', 'onsitePersonalization', 'exportToThirdParty', 'crossSiteTargeting', 'dataScience', 'analytics']) {
      assert.ok(actions.body.items.some((a: { name: string }) => a.name === name), name);
    }
    const policies = await server.api('GET', '/api/v1/governance/policies?marketingAction=exportToThirdParty');
    assert.equal(policies.body.items[0].id, 'core-export-third-party');
    assert.equal(policies.body.items[0].status, 'DISABLED');
    assert.equal(policies.body.items[0].core, true);
    assertProblem(await server.api('GET', '/api/v1/governance/labels/NOPE'), 404, 'LABEL_NOT_FOUND');
  });

  test('custom labels and marketing actions: create, replace, refuse core names and duplicates, delete', async () => {
    const pci = await server.api('POST', '/api/v1/governance/labels', { name: 'PCI', friendlyName: 'Payment card data' });
    assert.equal(pci.status, 201);
    assert.deepEqual(pci.body, { name: 'PCI', friendlyName: 'Payment card data', description: '', category: 'custom', core: false });
    assertProblem(await server.api('POST', '/api/v1/governance/labels', { name: 'PCI' }), 409, 'NAME_TAKEN');
    assertProblem(await server.api('POST', '/api/v1/governance/labels', { name: 'C1' }), 409, 'GOVERNANCE_CORE_READ_ONLY');
    assertProblem(await server.api('DELETE', '/api/v1/governance/labels/C1'), 409, 'GOVERNANCE_CORE_READ_ONLY');
    assertProblem(await server.api('POST', '/api/v1/governance/labels', { name: '1bad' }), 400, 'VALIDATION_FAILED');
    const replaced = await created('PUT', '/api/v1/governance/labels/PCI', { description: 'card numbers' });
    assert.equal(replaced.description, 'card numbers');

    assert.equal((await server.api('POST', '/api/v1/governance/marketing-actions', { name: 'smsBlast', description: 'bulk SMS' })).status, 201);
    assertProblem(await server.api('PUT', '/api/v1/governance/marketing-actions/emailTargeting', {}), 409, 'GOVERNANCE_CORE_READ_ONLY');
    assert.equal((await server.api('GET', '/api/v1/governance/marketing-actions/smsBlast')).body.description, 'bulk SMS');

    const temp = await created('POST', '/api/v1/governance/labels', { name: 'TEMP' });
    assert.equal((await server.api('DELETE', `/api/v1/governance/labels/${temp.name}`)).status, 204);
    assertProblem(await server.api('DELETE', '/api/v1/governance/labels/TEMP'), 404, 'LABEL_NOT_FOUND');
  });

  test('policies: validation names the field, a label or action in use cannot be deleted, core policies only change status', async () => {
    const bad = await server.api('POST', '/api/v1/governance/policies', {
      name: 'bad',
      marketingAction: 'teleport',
      deny: { operator: 'OR', operands: [{ label: 'C1' }, { label: 'C99' }, { operator: 'XOR', operands: [{ label: 'C2' }] }] },
    });
    assertProblem(bad, 422, 'POLICY_INVALID');
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path), ['marketingAction', 'deny.operands[1].label', 'deny.operands[2].operator']);
    assertProblem(await server.api('POST', '/api/v1/governance/policies', { name: 'empty', marketingAction: 'smsBlast', deny: { operator: 'AND', operands: [] } }), 422, 'POLICY_INVALID');

    const policy = await server.api('POST', '/api/v1/governance/policies', {
      name: 'No card data by SMS',
      marketingAction: 'smsBlast',
      deny: { operator: 'OR', operands: [{ label: 'PCI' }, { operator: 'AND', operands: [{ label: 'C3' }, { label: 'I1' }] }] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    assert.equal(policy.body.status, 'DRAFT', 'a new policy is a draft until enabled, as in the suite');
    assertProblem(await server.api('DELETE', '/api/v1/governance/labels/PCI'), 409, 'GOVERNANCE_IN_USE');
    assertProblem(await server.api('DELETE', '/api/v1/governance/marketing-actions/smsBlast'), 409, 'GOVERNANCE_IN_USE');

    const id = policy.body.id;
    assert.equal((await server.api('POST', '/api/v1/governance/evaluate', { marketingActionId: 'smsBlast', labels: ['PCI'] })).body.allowed, true, 'drafts are not enforced');
    assert.equal((await server.api('PATCH', `/api/v1/governance/policies/${id}`, { status: 'ENABLED' })).body.status, 'ENABLED');
    const denied = await evaluate({ marketingActionId: 'smsBlast', labels: ['PCI'] });
    assert.equal(denied.body.allowed, false);
    assert.deepEqual(denied.body.violations.map((v: { policyId: string; labels: string[] }) => [v.policyId, v.labels]), [[id, ['PCI']]]);
    assert.equal((await evaluate({ marketingActionId: 'smsBlast', labels: ['C3'] })).body.allowed, true, 'C3 alone does not satisfy C3 AND I1');
    assert.equal((await evaluate({ marketingActionId: 'smsBlast', labels: ['C3', 'I1'] })).body.allowed, false);
    const constraints = await server.api('GET', '/api/v1/governance/marketing-actions/smsBlast/constraints?duleLabels=C3,I1');
    assert.deepEqual([constraints.body.duleLabels, constraints.body.violatedPolicies.map((p: { id: string }) => p.id)], [['C3', 'I1'], [id]]);
    assert.deepEqual((await server.api('GET', '/api/v1/governance/marketing-actions/smsBlast/constraints?duleLabels=C3')).body.violatedPolicies, []);
    assertProblem(await server.api('GET', '/api/v1/governance/marketing-actions/smsBlast/constraints?duleLabels=C3,QQ'), 422, 'USAGE_REQUEST_INVALID');

    const replaced = await created('PUT', `/api/v1/governance/policies/${id}`, { name: 'No card data by SMS', marketingAction: 'smsBlast', deny: { label: 'C3' } });
    assert.equal(replaced.status, 'ENABLED', 'replacing keeps the status unless given');
    assert.equal((await evaluate({ marketingActionId: 'smsBlast', labels: ['PCI'] })).body.allowed, true);

    assertProblem(await server.api('PUT', '/api/v1/governance/policies/core-export-third-party', { name: 'x', marketingAction: 'exportToThirdParty', deny: { label: 'C1' } }), 409, 'GOVERNANCE_CORE_READ_ONLY');
    assertProblem(await server.api('DELETE', '/api/v1/governance/policies/core-export-third-party'), 409, 'GOVERNANCE_CORE_READ_ONLY');
    assertProblem(await server.api('PATCH', '/api/v1/governance/policies/pol_nope', { status: 'ENABLED' }), 404, 'POLICY_NOT_FOUND');
    assert.equal((await server.api('DELETE', `/api/v1/governance/policies/${id}`)).status, 204);
    assert.equal((await server.api('DELETE', '/api/v1/governance/labels/PCI')).status, 204, 'no longer in use');
  });

  test('evaluation requests with unknown parts are refused naming the field', async () => {
    const res = await evaluate({ marketingActionId: 'teleport', labels: ['C2', 'ZZ'], audienceIds: ['aud_nope'], datasetIds: ['nope'], mergePolicyId: 'mp_nope' });
    assertProblem(res, 422, 'USAGE_REQUEST_INVALID');
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['marketingActionId', 'labels[1]', 'audienceIds[0]', 'datasetIds[0]', 'mergePolicyId']);
  });

  test('lineage: an audience’s fields carry dataset and schema labels through the merge policy’s datasets, and label changes change the decision', async () => {
    assert.equal((await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'ENABLED' })).status, 200);
    const crm = await created('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true, labels: ['C5'] });
    const partner = await created('POST', '/api/v1/datasets', { name: 'partner', schemaId: 'profile', profileEnabled: true, labels: ['C2'] });
    const web = await created('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true });
    const crmOnly = await created('POST', '/api/v1/merge-policies', { name: 'crm only', identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: [crm.id] } });

    const byEmail = await created('POST', '/api/v1/audiences', { name: 'Example customers', expression: pql('personalEmail.address = "ann@example.com"') });
    const decision = await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [byEmail.id] });
    assert.equal(decision.status, 200, JSON.stringify(decision.body));
    assert.equal(decision.body.allowed, false);
    const [violation] = decision.body.violations;
    assert.equal(violation.policyId, 'core-export-third-party');
    assert.equal(violation.policyName, 'Restrict data export to third parties');
    assert.deepEqual(violation.labels, ['C2']);
    assert.deepEqual(violation.lineage, [{ label: 'C2', field: 'personalEmail.address', dataset: partner.id, datasetName: 'partner', audienceId: byEmail.id, source: 'dataset' }]);
    assert.match(violation.explanation, /Restrict data export to third parties.*C2 on dataset partner read as personalEmail\.address by audience/);
    assert.deepEqual(decision.body.labels, ['C2', 'C5', 'I1']);
    assert.ok(decision.body.lineage.some((e: { label: string; source: string; schemaField?: string; dataset: string }) => e.label === 'I1' && e.source === 'field' && e.schemaField === 'personalEmail.address' && e.dataset === crm.id));

    // The same audience through a merge policy that only merges crm: partner's C2 is not in play.
    const viaCrm = await created('POST', '/api/v1/audiences', { name: 'Example customers (crm)', expression: pql('personalEmail.address = "ann@example.com"'), mergePolicyId: crmOnly.id });
    const allowed = await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [viaCrm.id] });
    assert.equal(allowed.body.allowed, true, JSON.stringify(allowed.body.violations));
    assert.deepEqual(allowed.body.labels, ['C5', 'I1']);
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [byEmail.id], mergePolicyId: crmOnly.id })).body.allowed, true, 'an explicit merge policy overrides');

    // A dataset label change flips the decision, and flips it back.
    await created('PATCH', `/api/v1/datasets/${crm.id}`, { labels: ['C5', 'C2'], profileEnabled: true }); // PATCH without profileEnabled resets it (the patch schema's default)
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [viaCrm.id] })).body.allowed, false);
    await created('PATCH', `/api/v1/datasets/${crm.id}`, { labels: ['C5'], profileEnabled: true });
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [viaCrm.id] })).body.allowed, true);

    // A field label: email targeting is denied for directly identifiable data from C5 datasets.
    const policy = await created('POST', '/api/v1/governance/policies', {
      name: 'No identifiable C5 data in email',
      marketingAction: 'emailTargeting',
      deny: { operator: 'AND', operands: [{ label: 'C5' }, { label: 'I1' }] },
      status: 'ENABLED',
    });
    const email = await evaluate({ marketingActionId: 'emailTargeting', audienceIds: [viaCrm.id] });
    assert.equal(email.body.allowed, false);
    assert.equal(email.body.violations[0].policyId, policy.id);
    assert.deepEqual(
      email.body.violations[0].lineage.map((e: { label: string; field: string; source: string }) => [e.label, e.field, e.source]),
      [['C5', 'personalEmail.address', 'dataset'], ['I1', 'personalEmail.address', 'field']],
    );
    assert.equal((await evaluate({ marketingActionId: 'emailTargeting', fieldPaths: ['loyalty.tier'], mergePolicyId: crmOnly.id })).body.allowed, true, 'loyalty.tier has no I1');
    const mapped = await evaluate({ marketingActionId: 'emailTargeting', fieldPaths: ['mobilePhone.number'], mergePolicyId: crmOnly.id });
    assert.equal(mapped.body.allowed, false, 'a mapped field carries its schema label');

    // A schema field label added later changes the decision for an audience that reads the field.
    const loyaltySchema = await created('POST', '/api/v1/schemas', { name: 'loyalty_profile', class: 'profile', fieldGroups: ['person', 'loyalty', 'crm'], identities: [{ path: 'crm.crmId', namespace: 'CRMID', primary: true }] });
    const loyaltyData = await created('POST', '/api/v1/datasets', { name: 'loyalty', schemaId: loyaltySchema.id, profileEnabled: true });
    const gold = await created('POST', '/api/v1/audiences', { name: 'Gold', expression: pql('loyalty.tier = "gold"') });
    assert.equal((await evaluate({ marketingActionId: 'dataScience', audienceIds: [gold.id], datasetIds: [loyaltyData.id] })).body.allowed, true);
    await created('PATCH', '/api/v1/governance/policies/core-data-science', { status: 'ENABLED' });
    await created('PUT', `/api/v1/schemas/${loyaltySchema.id}`, { name: 'loyalty_profile', class: 'profile', fieldGroups: ['person', 'loyalty', 'crm'], identities: [{ path: 'crm.crmId', namespace: 'CRMID', primary: true }], labels: { loyalty: ['C9'] } });
    const science = await evaluate({ marketingActionId: 'dataScience', audienceIds: [gold.id], datasetIds: [loyaltyData.id] });
    assert.equal(science.body.allowed, false);
    assert.deepEqual(science.body.violations[0].lineage, [{ label: 'C9', field: 'loyalty.tier', dataset: loyaltyData.id, datasetName: 'loyalty', audienceId: gold.id, source: 'field', schemaField: 'loyalty' }]);

    // Event fields come from profile-enabled event datasets; inSegment brings the inner audience's fields.
    const paris = await created('POST', '/api/v1/audiences', { name: 'In Paris', expression: pql('chain(xEvent, timestamp, [A: WHAT(placeContext.geo.city = "Paris")])') });
    const wrapper = await created('POST', '/api/v1/audiences', { name: 'Paris wrapper', expression: pql(`inSegment("${paris.id}")`) });
    await created('POST', '/api/v1/governance/labels', { name: 'GEO' });
    await created('POST', '/api/v1/governance/marketing-actions', { name: 'geoTargeting' });
    await created('POST', '/api/v1/governance/policies', { name: 'No precise location for geo targeting', marketingAction: 'geoTargeting', deny: { label: 'S1' }, status: 'ENABLED' });
    const geo = await evaluate({ marketingActionId: 'geoTargeting', audienceIds: [wrapper.id] });
    assert.equal(geo.body.allowed, false);
    assert.deepEqual(geo.body.violations[0].lineage.map((e: { field: string; dataset: string; schemaField: string; audienceId: string }) => [e.field, e.dataset, e.schemaField, e.audienceId]), [['xEvent.placeContext.geo.city', web.id, 'placeContext.geo', paris.id]]);

    // Datasets named directly bring all their labels; a merge policy alone brings its datasets'.
    const direct = await evaluate({ marketingActionId: 'exportToThirdParty', datasetIds: [partner.name] });
    assert.deepEqual(direct.body.violations[0].lineage, [{ label: 'C2', field: null, dataset: partner.id, datasetName: 'partner', source: 'dataset' }]);
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', mergePolicyId: crmOnly.id })).body.allowed, true);
    const unknownField = await evaluate({ marketingActionId: 'exportToThirdParty', fieldPaths: ['nothing.here'] });
    assert.deepEqual(unknownField.body.unmatchedFields, ['nothing.here']);
  });

  test('as the activation guard: activations without a marketing action pass, violations carry policy, labels and lineage', async () => {
    const port: ActivationGuard = governanceActivationGuard(server.running.platform.governance);
    const audience = (await server.api('GET', '/api/v1/audiences')).body.items.find((a: { name: string }) => a.name === 'Example customers');
    const base = { sandboxId: (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod').id, destinationId: 'd', destinationType: 'webhook' };
    assert.deepEqual(await port.check({ ...base, audienceIds: [audience.id], mappedPaths: [], namespaces: [] }), { allowed: true });
    const blocked = await port.check({ ...base, marketingActionId: 'exportToThirdParty', audienceIds: [audience.id], mappedPaths: ['loyalty.tier'], namespaces: [] });
    assert.equal(blocked.allowed, false);
    assert.ok(!blocked.allowed && blocked.violations?.[0].policy === 'Restrict data export to third parties' && /C2 on dataset partner/.test(blocked.reason));
    const unknown = await port.check({ ...base, marketingActionId: 'teleport', audienceIds: [], mappedPaths: [], namespaces: [] });
    assert.ok(!unknown.allowed && /marketingActionId/.test(unknown.reason));

    // An exported namespace brings the labels of the fields that hold it: Email → personalEmail.address → I1.
    const byNamespace = await evaluate({ marketingActionId: 'emailTargeting', identityNamespaces: ['Email'], mergePolicyId: (await server.api('GET', '/api/v1/merge-policies')).body.items.find((p: { name: string }) => p.name === 'crm only').id });
    assert.equal(byNamespace.body.allowed, false);
    assert.deepEqual(byNamespace.body.violations[0].lineage.map((e: { label: string; field: string }) => [e.label, e.field]), [['C5', 'personalEmail.address'], ['I1', 'personalEmail.address']]);
  });

  test('the consent endpoint resolves a person’s decisions with reasons', async () => {
    const ds = await created('POST', '/api/v1/datasets', { name: 'consents_crm', schemaId: 'profile', profileEnabled: true });
    const ingested = await server.api('POST', `/api/v1/ingest/${ds.id}`, {
      timestamp: '2026-11-01T00:00:00Z',
      crm: { crmId: 'c-consent' },
      consents: { marketing: { preferred: 'email', any: { val: 'y' }, sms: { val: 'n' } }, share: { val: 'dn' } },
    });
    assert.ok(ingested.status < 300, JSON.stringify(ingested.body));
    const res = await server.api('GET', '/api/v1/profiles/consent?identity=CRMID:c-consent');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.preferredChannel, 'email');
    assert.equal(res.body.generalOptOut, false);
    const by = Object.fromEntries(res.body.decisions.map((d: { purpose: string }) => [d.purpose, d]));
    assert.deepEqual([by.email.allowed, by.email.source], [true, 'consents.marketing.any.val']);
    assert.deepEqual([by.sms.allowed, by.sms.value, by.sms.reason], [false, 'n', 'opted out']);
    assert.deepEqual([by.share.allowed, by.share.value], [false, 'dn']);
    assert.deepEqual([by.personalize.allowed, by.personalize.source], [true, 'default']);
    assertProblem(await server.api('GET', '/api/v1/profiles/consent?identity=CRMID:nobody'), 404, 'NOT_FOUND');
    assertProblem(await server.api('GET', '/api/v1/profiles/consent?identity=nocolon'), 400, 'BAD_REQUEST');
  });

  test('sandboxes never see each other’s labels, actions, policies, policy status or audiences; only admins change governance', async () => {
    await created('POST', '/api/v1/sandboxes', { name: 'dev' });
    await created('POST', '/api/v1/governance/labels', { name: 'PRODONLY' });
    const devLabels = await server.api('GET', '/api/v1/governance/labels', undefined, { sandbox: 'dev' });
    assert.ok(!devLabels.body.items.some((l: { name: string }) => l.name === 'PRODONLY'));
    assertProblem(await server.api('GET', '/api/v1/governance/marketing-actions/geoTargeting', undefined, { sandbox: 'dev' }), 404, 'MARKETING_ACTION_NOT_FOUND');
    const devPolicies = await server.api('GET', '/api/v1/governance/policies', undefined, { sandbox: 'dev' });
    assert.ok(devPolicies.body.items.every((p: { core: boolean; status: string }) => p.core && p.status === 'DISABLED'), 'prod enabled core policies; dev did not');
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', labels: ['C2'] }, { sandbox: 'dev' })).body.allowed, true);
    assert.equal((await evaluate({ marketingActionId: 'exportToThirdParty', labels: ['C2'] })).body.allowed, false);
    const prodAudience = (await server.api('GET', '/api/v1/audiences')).body.items[0];
    assertProblem(await evaluate({ marketingActionId: 'exportToThirdParty', audienceIds: [prodAudience.id] }, { sandbox: 'dev' }), 422, 'USAGE_REQUEST_INVALID');
    assertProblem(await server.api('POST', '/api/v1/governance/policies', { name: 'x', marketingAction: 'exportToThirdParty', deny: { label: 'PRODONLY' } }, { sandbox: 'dev' }), 422, 'POLICY_INVALID');

    const keys = await created('POST', '/api/v1/api-keys', { name: 'marketer', role: 'editor' });
    assertProblem(await server.api('PATCH', '/api/v1/governance/policies/core-export-third-party', { status: 'DISABLED' }, { key: keys.secret }), 403, 'FORBIDDEN');
    assert.equal((await server.api('POST', '/api/v1/governance/evaluate', { marketingActionId: 'exportToThirdParty', labels: ['C2'] }, { key: keys.secret })).body.allowed, false, 'editors may evaluate');

    assert.equal((await server.api('DELETE', '/api/v1/sandboxes/dev')).status, 204);
  });
});
