import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedPlanner, PlanVersion } from './plan-cache.ts';
import type { DatasetRef, ProjectionPlanner, ProjectionPlans } from './projection-plans.ts';
import { DEFAULT_IDENTITY_SETTINGS } from '../identity/linking.ts';

/** A planner that answers from `profileEnabled` as it is when asked, and records every question. */
function countingPlanner(state: { profileEnabled: boolean }) {
  const questions: string[][] = [];
  const ask: ProjectionPlanner = async (refs) => {
    questions.push(refs.map((r) => r.datasetId));
    const plans: ProjectionPlans = { sandboxes: {}, datasets: [] };
    for (const ref of refs) {
      plans.sandboxes[ref.sandboxId] = { customNamespaces: [], settings: DEFAULT_IDENTITY_SETTINGS };
      plans.datasets.push({
        ...ref,
        dataset: { id: ref.datasetId, name: ref.datasetId, schemaId: 'profile', class: 'profile', profileEnabled: state.profileEnabled, labels: [], createdAt: '', updatedAt: '' },
        identityFields: [],
      });
    }
    return plans;
  };
  return { ask, questions };
}

const crm: DatasetRef = { sandboxId: 's1', datasetId: 'crm' };
const web: DatasetRef = { sandboxId: 's1', datasetId: 'web' };
const other: DatasetRef = { sandboxId: 's2', datasetId: 'crm' };

test('plans are asked for once while the version stays, and only for what the cache does not hold', async () => {
  const { ask, questions } = countingPlanner({ profileEnabled: true });
  const plans = cachedPlanner(ask, new PlanVersion());
  const first = await plans([crm]);
  const again = await plans([crm]);
  assert.deepEqual(again, first);
  const both = await plans([crm, web, other]);
  assert.deepEqual(questions, [['crm'], ['web', 'crm']], 'the second question names only the datasets not held');
  assert.deepEqual(both.datasets.map((p) => `${p.sandboxId}/${p.datasetId}`), ['s1/crm', 's1/web', 's2/crm'], 'in the order asked');
  assert.deepEqual(Object.keys(both.sandboxes).sort(), ['s1', 's2']);
});

test('a moved version makes the next pass ask again and see the change', async () => {
  const state = { profileEnabled: false };
  const { ask, questions } = countingPlanner(state);
  const version = new PlanVersion();
  const plans = cachedPlanner(ask, version);
  assert.equal((await plans([crm])).datasets[0].dataset?.profileEnabled, false);
  state.profileEnabled = true; // the catalog changed...
  assert.equal((await plans([crm])).datasets[0].dataset?.profileEnabled, false, 'held while nobody said so');
  version.bump(); // ...and said so
  assert.equal((await plans([crm])).datasets[0].dataset?.profileEnabled, true);
  assert.equal(questions.length, 2);
});

test('an answer overtaken by a change serves its own pass but is not kept', async () => {
  const state = { profileEnabled: false };
  const { ask: inner, questions } = countingPlanner(state);
  const version = new PlanVersion();
  const ask: ProjectionPlanner = async (refs) => {
    const answer = await inner(refs);
    if (questions.length === 1) {
      state.profileEnabled = true; // changed while the first answer was on its way
      version.bump();
    }
    return answer;
  };
  const plans = cachedPlanner(ask, version);
  assert.equal((await plans([crm])).datasets[0].dataset?.profileEnabled, false);
  assert.equal((await plans([crm])).datasets[0].dataset?.profileEnabled, true, 'the next pass asked again');
  assert.equal(questions.length, 2);
});

test('the version lives in shared memory: a bump on one side is seen through another view of the same cell', () => {
  const main = new PlanVersion();
  const thread = new PlanVersion(main.buffer);
  main.bump();
  main.bump();
  assert.equal(thread.current(), 2);
});
