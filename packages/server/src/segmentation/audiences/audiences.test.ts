import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../../testing/harness.ts';
import { nearestField } from './field-hints.ts';
import { editDistance } from '../pql/edit-distance.ts';

const pql = (value: string) => ({ type: 'PQL', format: 'pql/text', value });

test('PQL pasted from the suite is validated, classified with reasons and stored as a segment definition', async () => {
  const server = await startTestServer();
  try {
    const checkout = 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])';
    const check = await server.api('POST', '/api/v1/audiences/validate', { expression: pql(checkout) });
    assert.equal(check.status, 200);
    assert.equal(check.body.valid, true);
    assert.equal(check.body.classification.method, 'edge');
    assert.ok(check.body.classification.reasons.length > 0);
    assert.equal(typeof check.body.ast.nodeType, 'string');

    const created = await server.api('POST', '/api/v1/audiences', {
      name: 'Checked out today',
      expression: pql(checkout),
      evaluationInfo: { batch: { enabled: false }, continuous: { enabled: true }, synchronous: { enabled: false } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.profileInstanceId, 'ups');
    assert.equal(created.body.classification.method, 'streaming', 'asked for streaming only: not promoted to edge');
    assert.equal(created.body.evaluationInfo.continuous.enabled, true);
    assert.equal(created.body.evaluationInfo.synchronous.enabled, false);

    const longWindow = await server.api('POST', '/api/v1/audiences', {
      name: 'Bought in the last 30 days',
      expression: pql('chain(xEvent, timestamp, [A: WHAT(eventType = "commerce.purchases") WHEN(< 30 days before now)])'),
    });
    assert.equal(longWindow.body.classification.method, 'batch');
    assert.equal(longWindow.body.classification.meridianStreaming, true, 'Meridian streams it anyway');

    const streaming = await server.api('GET', '/api/v1/audiences?evaluationInfo.continuous.enabled=true');
    assert.deepEqual(streaming.body.items.map((a: { name: string }) => a.name), ['Checked out today']);
  } finally {
    await server.stop();
  }
});

test('invalid PQL is refused with every error and its position; unknown fields are warned with the nearest field', async () => {
  const server = await startTestServer();
  try {
    const bad = await server.api('POST', '/api/v1/audiences/validate', { expression: pql('homeAddress.countryCode = ("US"') });
    assert.equal(bad.body.valid, false);
    assert.equal(bad.body.errors[0].line, 1);
    assert.equal(typeof bad.body.errors[0].column, 'number');
    assert.match(bad.body.errors[0].message, /expected/);

    const refused = await server.api('POST', '/api/v1/audiences', { name: 'x', expression: pql('a = ') });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'PQL_INVALID');
    assert.ok(refused.body.errors[0].line >= 1);

    const typo = await server.api('POST', '/api/v1/audiences/validate', { expression: pql('homeAddress.countrycod = "US" and loyalty.tier = "gold"') });
    assert.equal(typo.body.valid, true);
    assert.equal(typo.body.warnings.length, 1);
    assert.match(typo.body.warnings[0].message, /nearest: homeAddress\.countryCode/);
  } finally {
    await server.stop();
  }
});

test('audiences of audiences resolve by id or name; cycles and dangling references are refused', async () => {
  const server = await startTestServer();
  try {
    const gold = await server.api('POST', '/api/v1/audiences', { name: 'gold', expression: pql('loyalty.tier = "gold"') });
    const us = await server.api('POST', '/api/v1/audiences', { name: 'us', expression: pql('homeAddress.countryCode = "US"') });
    const both = await server.api('POST', '/api/v1/audiences', { name: 'gold in the US', expression: pql(`inSegment("${gold.body.id}") and inSegment("us")`) });
    assert.equal(both.status, 201, JSON.stringify(both.body));
    assert.deepEqual(both.body.dependencies.sort(), [gold.body.id, us.body.id].sort());

    const cycle = await server.api('PUT', `/api/v1/audiences/${gold.body.id}`, { name: 'gold', expression: pql(`inSegment("${both.body.id}")`) });
    assert.equal(cycle.status, 422);
    assert.equal(cycle.body.code, 'AUDIENCE_CYCLE');
    assert.deepEqual(cycle.body.cycle, [gold.body.id, both.body.id, gold.body.id]);

    const dangling = await server.api('POST', '/api/v1/audiences', { name: 'd', expression: pql('inSegment("nope")') });
    assert.equal(dangling.status, 422);
    assert.match(dangling.body.detail, /names no audience/);

    const inUse = await server.api('DELETE', `/api/v1/audiences/${us.body.id}`);
    assert.equal(inUse.status, 409);
    assert.equal((await server.api('DELETE', `/api/v1/audiences/${both.body.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/audiences/${us.body.id}`)).status, 204);
  } finally {
    await server.stop();
  }
});

test('the nearest field is the one fewest edits away', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(nearestField('person.name.firstname', ['person.name.firstName', 'person.name.lastName']), 'person.name.firstName');
});
