/**
 * Compiles the condition rule tree into closures once per snapshot (regular expressions built,
 * strings lower-cased ahead), so evaluating an activity's audience on the hot path is a few
 * function calls. Facts that cost something (query parameters, local time in a zone) are computed
 * at most once per request through `ConditionInput`.
 *
 * @example
 *   const matches = compileCondition({ type: 'url', operator: 'contains', value: '/shoes' });
 *   matches(conditionInput({ visitorId: 'v', scopes: [], context: { url: 'https://x.test/shoes/1' } }));
 */
import type { JsonValue } from '../storage/json.ts';
import { isJsonObject } from '../storage/json.ts';
import type { Condition, StringOperator } from './model.ts';
import type { DecisionRequest } from './request.ts';

export type Predicate = (input: ConditionInput) => boolean;

interface LocalTime {
  minutes: number;
  /** 1 = Monday … 7 = Sunday. */
  day: number;
}

/** One request's facts, with the costly ones computed on first use. */
export class ConditionInput {
  private query: URLSearchParams | undefined | null = null;
  private readonly times = new Map<string, LocalTime>();

  constructor(
    readonly request: DecisionRequest,
    readonly now: number,
  ) {}

  queryParam(name: string): string | undefined {
    if (this.query === null) {
      const url = this.request.context?.url;
      let parsed: URLSearchParams | undefined;
      if (url) {
        const q = url.indexOf('?');
        if (q >= 0) {
          const hash = url.indexOf('#', q);
          parsed = new URLSearchParams(url.slice(q + 1, hash >= 0 ? hash : undefined));
        }
      }
      this.query = parsed;
    }
    return this.query?.get(name) ?? undefined;
  }

  localTime(timezone: string): LocalTime {
    let time = this.times.get(timezone);
    if (!time) {
      time = localTimeIn(timezone, this.now);
      this.times.set(timezone, time);
    }
    return time;
  }

  inAudience(audienceId: string): boolean {
    const status = this.request.memberships?.[audienceId];
    return status === 'realized' || status === 'existing';
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localTimeIn(timezone: string, now: number): LocalTime {
  if (timezone === 'UTC') {
    const date = new Date(now);
    return { minutes: date.getUTCHours() * 60 + date.getUTCMinutes(), day: ((date.getUTCDay() + 6) % 7) + 1 };
  }
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timezone, format);
  }
  let hour = 0;
  let minute = 0;
  let day = 1;
  for (const part of format.formatToParts(now)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? 1;
  }
  return { minutes: hour * 60 + minute, day };
}

/** True when `timezone` is a zone this runtime knows. */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** A matcher for one string operator; a missing value matches only `notEquals`. */
export function compileStringMatch(operator: StringOperator, value: string | undefined, caseSensitive = false): (actual: string | undefined) => boolean {
  const expected = value ?? '';
  const wanted = caseSensitive ? expected : expected.toLowerCase();
  const norm = (s: string) => (caseSensitive ? s : s.toLowerCase());
  switch (operator) {
    case 'exists':
      return (actual) => actual !== undefined && actual !== '';
    case 'equals':
      return (actual) => actual !== undefined && norm(actual) === wanted;
    case 'notEquals':
      return (actual) => actual === undefined || norm(actual) !== wanted;
    case 'contains':
      return (actual) => actual !== undefined && norm(actual).includes(wanted);
    case 'startsWith':
      return (actual) => actual !== undefined && norm(actual).startsWith(wanted);
    case 'endsWith':
      return (actual) => actual !== undefined && norm(actual).endsWith(wanted);
    case 'regex': {
      const pattern = new RegExp(expected, caseSensitive ? '' : 'i');
      return (actual) => actual !== undefined && pattern.test(actual);
    }
  }
}

function valueAt(source: JsonValue | undefined, path: string): JsonValue | undefined {
  let current = source;
  for (const part of path.split('.')) current = isJsonObject(current) ? current[part] : undefined;
  return current;
}

function sameValue(a: JsonValue | undefined, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: JsonValue | undefined, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function compileProfile(condition: Extract<Condition, { type: 'profile' }>): Predicate {
  const { path, operator, value } = condition;
  const read = (input: ConditionInput) => valueAt(input.request.attributes, path);
  switch (operator) {
    case 'exists':
      return (input) => {
        const v = read(input);
        return v !== undefined && v !== null;
      };
    case 'equals':
      return (input) => sameValue(read(input), value);
    case 'notEquals':
      return (input) => !sameValue(read(input), value);
    case 'gt':
      return (input) => (compare(read(input), value) ?? Number.NaN) > 0;
    case 'gte':
      return (input) => (compare(read(input), value) ?? Number.NaN) >= 0;
    case 'lt':
      return (input) => (compare(read(input), value) ?? Number.NaN) < 0;
    case 'lte':
      return (input) => (compare(read(input), value) ?? Number.NaN) <= 0;
    case 'contains':
      return (input) => {
        const v = read(input);
        if (typeof v === 'string' && typeof value === 'string') return v.toLowerCase().includes(value.toLowerCase());
        return Array.isArray(v) && v.some((item) => sameValue(item, value));
      };
    case 'in': {
      const options = Array.isArray(value) ? value : [];
      return (input) => {
        const v = read(input);
        return options.some((o) => sameValue(v, o));
      };
    }
  }
}

function parseClock(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return h * 60 + m;
}

/** The condition as a predicate over one request. */
export function compileCondition(condition: Condition): Predicate {
  switch (condition.type) {
    case 'all': {
      const parts = condition.conditions.map(compileCondition);
      return (input) => parts.every((p) => p(input));
    }
    case 'any': {
      const parts = condition.conditions.map(compileCondition);
      return (input) => parts.some((p) => p(input));
    }
    case 'not': {
      const inner = compileCondition(condition.condition);
      return (input) => !inner(input);
    }
    case 'audience': {
      const id = condition.audienceId;
      return (input) => input.inAudience(id);
    }
    case 'url': {
      const match = compileStringMatch(condition.operator, condition.value, condition.caseSensitive);
      return (input) => match(input.request.context?.url);
    }
    case 'referrer': {
      const match = compileStringMatch(condition.operator, condition.value, condition.caseSensitive);
      return (input) => match(input.request.context?.referrer);
    }
    case 'queryParam': {
      const match = compileStringMatch(condition.operator, condition.value, condition.caseSensitive);
      const name = condition.name;
      return (input) => match(input.queryParam(name));
    }
    case 'param': {
      const match = compileStringMatch(condition.operator, condition.value, condition.caseSensitive);
      const name = condition.name;
      return (input) => match(input.request.context?.params?.[name]);
    }
    case 'deviceType':
    case 'browser':
    case 'os': {
      const wanted = new Set(condition.in.map((v) => v.toLowerCase()));
      const field = condition.type;
      return (input) => {
        const actual = input.request.context?.[field];
        return actual !== undefined && wanted.has(actual.toLowerCase());
      };
    }
    case 'geo': {
      const wanted = new Set(condition.in.map((v) => v.toLowerCase()));
      const field = condition.field;
      return (input) => {
        const actual = input.request.context?.geo?.[field];
        return actual !== undefined && wanted.has(actual.toLowerCase());
      };
    }
    case 'timeOfDay': {
      const from = parseClock(condition.from);
      const to = parseClock(condition.to);
      const zone = condition.timezone ?? 'UTC';
      return (input) => {
        const { minutes } = input.localTime(zone);
        return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
      };
    }
    case 'dayOfWeek': {
      const days = new Set(condition.days);
      const zone = condition.timezone ?? 'UTC';
      return (input) => days.has(input.localTime(zone).day);
    }
    case 'profile':
      return compileProfile(condition);
  }
}

/** Every audience id the condition reads (for reports broken down by audience). */
export function audiencesOf(condition: Condition | undefined, out: Set<string> = new Set()): Set<string> {
  if (!condition) return out;
  if (condition.type === 'audience') out.add(condition.audienceId);
  else if (condition.type === 'all' || condition.type === 'any') for (const c of condition.conditions) audiencesOf(c, out);
  else if (condition.type === 'not') audiencesOf(condition.condition, out);
  return out;
}
