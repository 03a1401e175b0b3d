/** Builders for decisioning tests and benchmarks: activities and offers without the HTTP layer. */
import type { Activity, Allocation, Offer } from './model.ts';
import { compileSnapshot, type DecisionSnapshot } from './snapshot.ts';

let counter = 0;

/** A live activity with defaults filled in; `overrides` replace whole fields. */
export function liveActivity(overrides: Partial<Activity> & Pick<Activity, 'experiences'>): Activity {
  counter++;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString();
  return {
    id: `act_${counter}`,
    name: `activity ${counter}`,
    type: 'ab',
    status: 'live',
    priority: 0,
    location: { scopes: ['hero'] },
    holdoutPercent: 0,
    metric: { type: 'click' },
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function htmlOffer(id: string, html = `<b>${id}</b>`): Offer {
  return { id, name: `offer ${id}`, content: { type: 'html', html }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
}

export function snapshotOf(activities: Activity[], offers: Offer[] = [], allocations: Map<string, Allocation> = new Map(), client = 'sbx_test'): DecisionSnapshot {
  return compileSnapshot({ sandboxId: client, client, version: 1, activities, offers: new Map(offers.map((o) => [o.id, o])), allocations });
}
