/**
 * decide() benchmark (no I/O): 5 live activities (A/B with an audience rule, experience targeting
 * by URL with audience, device and time-of-day rules, auto-allocate, A/B with a holdout and a
 * profile-attribute rule, geo/query-parameter targeting) over visitors holding memberships in 20
 * audiences, four scopes per request. Prints p50/p99 of one decide() call and calls per second,
 * beside a baseline measured in the same run: the same loop reading the 20 memberships only.
 * Target: p99 ≤ 0.5 ms, a tenth of the 5 ms edge-decision budget.
 */
import { decide } from '../packages/server/src/decisioning/decide.ts';
import type { Activity, Offer } from '../packages/server/src/decisioning/model.ts';
import type { DecisionRequest } from '../packages/server/src/decisioning/request.ts';
import { compileSnapshot } from '../packages/server/src/decisioning/snapshot.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatInteger, formatMs, summarizeLatencies } from './lib/stats.ts';

const NAME = 'decide';
const AUDIENCES = Array.from({ length: 20 }, (_, i) => `aud_${i}`);
const at = '2026-01-01T00:00:00.000Z';

function offer(id: string, content: Offer['content']): Offer {
  return { id, name: id, content, createdAt: at, updatedAt: at };
}

const OFFERS: Offer[] = [
  offer('o-html-a', { type: 'html', html: '<h1>Welcome back</h1>' }),
  offer('o-html-b', { type: 'html', html: '<h1>Summer sale</h1>' }),
  offer('o-json', { type: 'json', json: { discount: 10, banner: 'gold' } }),
  offer('o-dom', { type: 'dom-actions', actions: [{ type: 'setHtml', selector: '#hero h1', content: 'Hi' }, { type: 'setStyle', selector: '#hero', name: 'color', content: 'red' }] }),
  offer('o-default', { type: 'default' }),
];

function activity(id: string, priority: number, rest: Partial<Activity> & Pick<Activity, 'experiences' | 'location'>): Activity {
  return { id, name: id, type: 'ab', status: 'live', priority, holdoutPercent: 0, metric: { type: 'click' }, createdAt: at, updatedAt: at, ...rest };
}

const ACTIVITIES: Activity[] = [
  activity('act_ab', 5, {
    location: { scopes: ['hero'] },
    audience: { type: 'any', conditions: [{ type: 'audience', audienceId: 'aud_1' }, { type: 'audience', audienceId: 'aud_4' }, { type: 'audience', audienceId: 'aud_9' }] },
    experiences: [{ id: 'A', name: 'A', offerIds: ['o-html-a'], control: true, traffic: 50 }, { id: 'B', name: 'B', offerIds: ['o-html-b'], traffic: 50 }],
  }),
  activity('act_xt', 3, {
    type: 'xt',
    location: { urls: [{ operator: 'contains', value: '/shop' }, { operator: 'regex', value: '/p/\\d+' }] },
    experiences: [
      { id: 'gold', name: 'gold', offerIds: ['o-dom'], audience: { type: 'all', conditions: [{ type: 'audience', audienceId: 'aud_2' }, { type: 'deviceType', in: ['mobile'] }] } },
      { id: 'evening', name: 'evening', offerIds: ['o-dom'], audience: { type: 'timeOfDay', from: '18:00', to: '23:00', timezone: 'Europe/Paris' } },
      { id: 'returning', name: 'returning', offerIds: ['o-dom'], audience: { type: 'audience', audienceId: 'aud_7' } },
      { id: 'rest', name: 'rest', offerIds: ['o-default'] },
    ],
    fallbackExperienceId: 'rest',
  }),
  activity('act_bandit', 2, {
    type: 'auto-allocate',
    location: { scopes: ['sidebar'] },
    experiences: [{ id: 'x', name: 'x', offerIds: ['o-json'] }, { id: 'y', name: 'y', offerIds: ['o-html-a'] }, { id: 'z', name: 'z', offerIds: ['o-html-b'] }],
  }),
  activity('act_holdout', 1, {
    location: { scopes: ['footer'] },
    holdoutPercent: 10,
    audience: { type: 'profile', path: 'loyalty.points', operator: 'gte', value: 100 },
    experiences: [{ id: 'A', name: 'A', offerIds: ['o-html-a'], control: true, traffic: 30 }, { id: 'B', name: 'B', offerIds: ['o-json'], traffic: 70 }],
  }),
  activity('act_geo', 0, {
    type: 'xt',
    location: { scopes: ['hero', 'footer'] },
    experiences: [
      { id: 'fr', name: 'fr', offerIds: ['o-html-b'], audience: { type: 'all', conditions: [{ type: 'geo', field: 'country', in: ['FR', 'BE'] }, { type: 'queryParam', name: 'utm_source', operator: 'exists' }] } },
      { id: 'all', name: 'all', offerIds: ['o-json'] },
    ],
    fallbackExperienceId: 'all',
  }),
];

function requests(count: number, now: number): DecisionRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const memberships: Record<string, string> = {};
    AUDIENCES.forEach((id, j) => {
      if ((i * 7 + j * 3) % 5 < 2) memberships[id] = j % 2 ? 'realized' : 'existing';
    });
    return {
      visitorId: `ecid-${i}-48151623429`,
      ...(i % 3 === 0 ? { profileId: `person-${i}` } : {}),
      memberships,
      attributes: { loyalty: { points: (i * 37) % 400, tier: i % 2 ? 'gold' : 'silver' } },
      context: {
        url: `https://shop.example.com/shop/p/${i % 50}?utm_source=${i % 4 ? 'mail' : ''}`,
        referrer: 'https://www.google.com/',
        deviceType: i % 2 ? 'mobile' : 'desktop',
        browser: 'chrome',
        os: 'android',
        geo: { country: i % 3 ? 'FR' : 'US', city: 'Paris' },
      },
      scopes: ['__view__', 'hero', 'sidebar', 'footer'],
      now: now + i * 60_000,
    };
  });
}

export async function runDecide(): Promise<BenchmarkReport> {
  const snapshot = compileSnapshot({ sandboxId: 'bench', client: 'bench', version: 1, activities: ACTIVITIES, offers: new Map(OFFERS.map((o) => [o.id, o])), allocations: new Map() });
  const inputs = requests(1024, Date.UTC(2026, 5, 1, 15));
  const rounds = Math.max(5000, Math.round(100_000 * benchScale()));
  let sink = 0;
  const baseline = (request: DecisionRequest) => {
    for (const id of AUDIENCES) if (request.memberships?.[id] === 'realized') sink++;
  };
  const measure = (fn: (request: DecisionRequest) => void) => {
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const input = inputs[r % inputs.length];
      const started = performance.now();
      fn(input);
      samples.push(performance.now() - started);
    }
    return samples;
  };
  const run = (request: DecisionRequest) => {
    sink += decide(request, snapshot).propositions.length;
  };
  measure(run);
  const latencies = summarizeLatencies(measure(run));
  const base = summarizeLatencies(measure(baseline));
  const started = performance.now();
  for (let r = 0; r < rounds; r++) run(inputs[r % inputs.length]);
  const perSecond = rounds / ((performance.now() - started) / 1000);
  if (sink < 0) say(NAME, 'unreachable');
  say(NAME, `5 activities, 20 audiences, 4 scopes: p50 ${formatMs(latencies.p50Ms)}, p99 ${formatMs(latencies.p99Ms)}, ${formatInteger(perSecond)} decisions/s`);
  return {
    benchmark: NAME,
    figures: [
      { measure: 'decide(), 5 activities × 20 audiences, p50', value: formatMs(latencies.p50Ms) },
      { measure: 'decide(), 5 activities × 20 audiences, p99', value: formatMs(latencies.p99Ms), target: '≤ 0.5 ms', met: latencies.p99Ms <= 0.5 },
      { measure: 'decide() throughput, one core', value: `${formatInteger(perSecond)}/s` },
      { measure: 'baseline: read 20 memberships, p99', value: formatMs(base.p99Ms) },
    ],
    notes: [`${rounds} calls over 1,024 distinct visitors; baseline p50 ${formatMs(base.p50Ms)}`],
  };
}
