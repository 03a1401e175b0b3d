/**
 * Chooses how an audience is evaluated — on the edge, in streaming, or in batch — from its
 * analysis, following Adobe's eligibility rules of 20 May 2025 (edge ⊂ streaming ⊂ batch), and
 * explains the choice in words a marketer understands. It also says whether Meridian's own
 * streaming engine can keep a batch-only audience current anyway (long windows, unordered events,
 * negations and sums are kept as state with timers; only rescans of whole event histories are not).
 *
 * @example
 *   classifyEvaluation(analyze(parseOrThrow('homeAddress.country.equals("US", false)')));
 *   // { method: 'edge', reasons: ['uses only profile attributes, so it can be evaluated on the edge'], meridianStreaming: true, ... }
 */
import type { EventReference, PqlAnalysis } from './analysis.ts';
import { DAY_MS, HOUR_MS } from './time.ts';

export type EvaluationMethod = 'edge' | 'streaming' | 'batch';

export interface EvaluationClassification {
  /** The method Adobe's rules give: the fastest the audience is eligible for. */
  method: EvaluationMethod;
  /** Why, one sentence per rule that decided it. */
  reasons: string[];
  /** Meridian's streaming engine can keep this audience current as events arrive and windows pass. */
  meridianStreaming: boolean;
  /** Why Meridian's streaming engine can or cannot go further than Adobe's rules. */
  meridianReasons: string[];
}

export interface ClassifyContext {
  /** Whether an audience referenced by `inSegment` uses only profile attributes (undefined: unknown). */
  isProfileOnlyAudience?: (audienceId: string) => boolean | undefined;
}

/** Adobe's streaming and edge windows: events within the last 24 hours (`WHEN(<= 24 hours before now)` qualifies). */
export const STREAMING_WINDOW_MS = DAY_MS;

/**
 * Classifies an analyzed audience expression.
 *
 * @example
 *   const q = 'chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(< 7 days before now)])';
 *   classifyEvaluation(analyze(parseOrThrow(q))).reasons;
 *   // ['uses an event window longer than 24 hours (7 days), so it is evaluated in batch']
 */
export function classifyEvaluation(analysis: PqlAnalysis, context: ClassifyContext = {}): EvaluationClassification {
  const batchReasons = batchOnlyReasons(analysis, context);
  const meridian = meridianStreamingVerdict(analysis);
  if (batchReasons.length > 0) {
    return { method: 'batch', reasons: batchReasons, meridianStreaming: meridian.ok, meridianReasons: meridian.reasons };
  }
  const meridianReasons = ['eligible for streaming under the standard rules'];
  const events = analysis.eventReferences;
  if (analysis.shape === 'multipleEvents') {
    return {
      method: 'streaming',
      reasons: [`combines ${events.length} events, which needs the event history that the edge does not keep, so it is evaluated in streaming`],
      meridianStreaming: true,
      meridianReasons,
    };
  }
  return { method: 'edge', reasons: edgeReasons(analysis), meridianStreaming: true, meridianReasons };
}

function edgeReasons(a: PqlAnalysis): string[] {
  const reasons: string[] = [];
  if (a.shape === 'singleEvent') {
    const [event] = a.eventReferences;
    const frequency = event.minCount > 1 ? ` at least ${event.minCount} times` : '';
    const profile = a.usesProfileAttributes ? ' together with profile attributes' : '';
    reasons.push(`looks at one kind of event${frequency} within the last 24 hours${profile}, so it can be evaluated on the edge`);
  } else if (a.segmentIds.length > 0) {
    reasons.push(`combines other audiences${a.usesProfileAttributes ? ' with profile attributes' : ''}, so it can be evaluated on the edge (membership of referenced audiences is rechecked every 24 hours)`);
  } else {
    reasons.push('uses only profile attributes, so it can be evaluated on the edge');
  }
  return reasons;
}

function describeDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} hours`;
  return `${Math.round(ms / HOUR_MS)} hours`;
}

function windowReason(event: EventReference): string | undefined {
  const { window } = event;
  if (window.attributeRelative) return 'measures event times against an attribute rather than against now, so it is evaluated in batch';
  if (window.fixedDates) return 'looks at events between fixed dates rather than in a window ending now, so it is evaluated in batch';
  if (window.lookbackMs === 'unbounded') {
    return event.use === 'forall' || event.negated
      ? 'looks at events with no time limit, so it is evaluated in batch'
      : 'looks at events with no time window (add one of 24 hours or less for streaming), so it is evaluated in batch';
  }
  if (window.lookbackMs > STREAMING_WINDOW_MS) return `uses an event window longer than 24 hours (${describeDuration(window.lookbackMs)}), so it is evaluated in batch`;
  return undefined;
}

function batchOnlyReasons(a: PqlAnalysis, context: ClassifyContext): string[] {
  const reasons: string[] = [];
  const add = (reason: string | undefined) => reason && !reasons.includes(reason) && reasons.push(reason);
  if (a.ignoresYear) add('compares month or day regardless of the year ("ignore year"), so it is evaluated in batch');
  for (const event of a.eventReferences) {
    add(windowReason(event));
    if (event.use === 'aggregate') add('adds up or compares values across several events (sum, average, min or max), so it is evaluated in batch');
    if (event.use === 'collection') add('groups, ranks or lists events (groupBy, topN, map...), so it is evaluated in batch');
  }
  const events = a.eventReferences;
  const groups = new Set(events.map((e) => e.group));
  if (groups.size > 1) add('combines events that are not steps of one sequence; put them in one chain, or build one audience per event and combine them with inSegment, so it is evaluated in batch');
  if (events.length > 0 && events.every((e) => e.negated)) add('only describes events that did not happen, so it is evaluated in batch');
  if (events.length > 0) {
    for (const id of a.segmentIds) {
      if (context.isProfileOnlyAudience?.(id) !== true) add(`combines an event with audience "${id}", which is not known to use profile attributes only, so it is evaluated in batch`);
    }
  }
  return reasons;
}

/** Meridian keeps per-profile state and timers; it needs a rescan only for whole-history collections or attribute-relative windows. */
function meridianStreamingVerdict(a: PqlAnalysis): { ok: boolean; reasons: string[] } {
  const blockers: string[] = [];
  for (const event of a.eventReferences) {
    if (event.use === 'collection') blockers.push('groups or ranks whole event histories, which needs a rescan');
    if (event.window.attributeRelative) blockers.push('measures event times against an attribute that can change, which needs a rescan');
  }
  if (blockers.length > 0) return { ok: false, reasons: [...new Set(blockers)] };
  const reasons = ['Meridian streaming keeps it current with per-profile state'];
  if (a.usesRelativeTime) reasons.push('timers re-evaluate it when its time windows pass, so people also leave the audience on time');
  return { ok: true, reasons };
}
