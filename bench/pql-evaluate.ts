/**
 * In-memory PQL engine benchmark (no I/O): the two numbers.
 * - streaming: 100 streaming-eligible audiences (profile attributes, single events with
 *   `WHEN(today)`/24-hour windows, `COUNT(5)` frequencies, two-step chains, audiences of audiences)
 *   evaluated against a profile with a day of history (30 events) when one event arrives —
 *   median time for all 100, target ≤ 50 µs;
 * - edge: 150 edge-eligible audiences on one request (profile + the request's event) — p99 time
 *   for all 150, target ≤ 0.5 ms.
 * The baseline printed beside them is the same loop over 100/150 pre-built closures that only
 * read one profile field, measured in the same run.
 */
import { parseOrThrow } from '../packages/server/src/segmentation/pql/index.ts';
import { compileExpression, type CompiledExpression } from '../packages/server/src/segmentation/evaluate/index.ts';
import type { EvaluationInput } from '../packages/server/src/segmentation/evaluate/index.ts';
import type { JsonObject } from '../packages/server/src/storage/json.ts';
import { benchScale, say, type BenchmarkReport } from './lib/report.ts';
import { formatMs, summarizeLatencies } from './lib/stats.ts';

const NAME = 'pql-evaluate';
const TYPES = ['commerce.checkouts', 'commerce.productViews', 'web.webpagedetails.pageViews', 'directMarketing.emailClicked', 'addToCart', 'homePageView'];

function streamingAudiences(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const type = TYPES[i % TYPES.length];
    const other = TYPES[(i + 1) % TYPES.length];
    switch (i % 6) {
      case 0: out.push(`homeAddress.countryCode.equals("${['US', 'CA', 'FR'][i % 3]}", false) and person.age > ${20 + (i % 30)}`); break;
      case 1: out.push(`CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("${type}", false)) WHEN(today)])`); break;
      case 2: out.push(`workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("${type}", false)) WHEN(<= 24 hours before now)])`); break;
      case 3: out.push(`chain(xEvent, timestamp, [A: WHAT(eventType = "${type}") WHEN(< 24 hours before now) COUNT(${2 + (i % 4)})])`); break;
      case 4: out.push(`chain(xEvent, timestamp, [C0: WHAT(eventType = "${type}") WHEN(today), C1: WHAT(eventType = "${other}") WHERE(commerce.order.priceTotal > ${i}) WHEN(today)])`); break;
      default: out.push(`inSegment("seg-${i}") and homeAddress.countryCode = "US"`);
    }
  }
  return out;
}

function edgeAudiences(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const type = TYPES[i % TYPES.length];
    switch (i % 4) {
      case 0: out.push(`homeAddress.countryCode = "${['US', 'CA', 'FR'][i % 3]}" and loyalty.tier in ["gold", "silver"]`); break;
      case 1: out.push(`CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("${type}", false)) WHEN(today)])`); break;
      case 2: out.push(`person.name.contains("${String.fromCharCode(97 + (i % 26))}", false) and chain(xEvent, timestamp, [A: WHAT(web.webPageDetails.URL like "%/p${i % 10}%") WHEN(< 24 hours before now)])`); break;
      default: out.push(`inSegment("seg-${i % 7}") and inSegment("seg-${(i + 3) % 7}")`);
    }
  }
  return out;
}

function event(i: number, now: number): JsonObject {
  return {
    _id: `e${i}`,
    timestamp: new Date(now - (30 - i) * 40 * 60_000).toISOString(),
    eventType: TYPES[(i * 7) % TYPES.length],
    web: { webPageDetails: { URL: `https://shop.example.com/p${i % 10}/item` } },
    commerce: { order: { priceTotal: (i * 13) % 200 } },
  };
}

function measure(audiences: CompiledExpression[], inputs: EvaluationInput[], rounds: number): number[] {
  const samples: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const input = inputs[r % inputs.length];
    const started = performance.now();
    for (const audience of audiences) if (audience.matches(input)) sink++;
    samples.push(performance.now() - started);
  }
  if (sink < 0) say(NAME, 'unreachable');
  return samples;
}

export async function runPqlEvaluate(): Promise<BenchmarkReport> {
  const now = Date.parse('2025-06-18T15:00:00Z');
  const profile: JsonObject = {
    homeAddress: { countryCode: 'US' }, workAddress: { country: 'us' }, person: { age: 41, name: 'Alice Martin' }, loyalty: { tier: 'gold' },
  };
  const segments = new Set(['seg-1', 'seg-4', 'seg-5']);
  const inSegment = (id: string) => segments.has(id);
  const history = Array.from({ length: 30 }, (_, i) => event(i, now));
  const rounds = Math.max(1000, Math.round(20_000 * benchScale()));

  const streaming = streamingAudiences(100).map((q) => compileExpression(parseOrThrow(q)));
  const edge = edgeAudiences(150).map((q) => compileExpression(parseOrThrow(q)));
  const baseline = (n: number) => Array.from({ length: n }, (_, i) => compileExpression(parseOrThrow(`homeAddress.countryCode = "C${i}"`)));

  const streamingInputs = Array.from({ length: 16 }, (_, i) => ({ profile, events: [...history.slice(i), event(30 + i, now + 1000)], now: now + 1000 + i, inSegment }));
  const edgeInputs = Array.from({ length: 16 }, (_, i) => ({ profile, events: [event(i, now)], now, inSegment }));

  measure(streaming, streamingInputs, 2000);
  measure(edge, edgeInputs, 2000);
  const s = summarizeLatencies(measure(streaming, streamingInputs, rounds));
  const sBase = summarizeLatencies(measure(baseline(100), streamingInputs, rounds));
  const e = summarizeLatencies(measure(edge, edgeInputs, rounds));
  const eBase = summarizeLatencies(measure(baseline(150), edgeInputs, rounds));
  const micro = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  say(NAME, `streaming: 100 audiences over 31 events, median ${micro(s.p50Ms)} (p99 ${micro(s.p99Ms)}); edge: 150 audiences, p99 ${formatMs(e.p99Ms)}`);
  return {
    benchmark: NAME,
    figures: [
      { measure: '100 streaming audiences, median', value: micro(s.p50Ms), target: '≤ 50 µs', met: s.p50Ms <= 0.05 },
      { measure: '150 edge audiences, p99', value: formatMs(e.p99Ms), target: '≤ 0.5 ms', met: e.p99Ms <= 0.5 },
      { measure: 'baseline 100 field reads, median', value: micro(sBase.p50Ms) },
      { measure: 'baseline 150 field reads, p99', value: formatMs(eBase.p99Ms) },
    ],
    notes: [`${rounds} rounds each; streaming p99 ${micro(s.p99Ms)}, edge median ${micro(e.p50Ms)}`],
  };
}
