/**
 * Recent events per visitor for edge audiences: the last events a device sent through the edge
 * (at most `perVisitor`, none older than `windowMs`, 24 hours like the suite's edge rules), in a
 * least-recently-used map bounded by visitors and by bytes (of their JSON text). Events are held
 * without the bulky groups no audience decides on (device, environment, implementationDetails,
 * identityMap, _experience), as frozen objects handed to every request that reads them: parsing
 * held JSON text again on every request cost the edge ~5% of its event loop. Held in this process
 * only: events that reached the profile through other channels count at the edge through the
 * streaming memberships of the projection.
 *
 * @example
 *   const recent = new RecentEvents({ maxVisitors: 100_000 });
 *   recent.add(sandboxId, ecid, [{ eventType: 'web.webpagedetails.pageViews', timestamp }], Date.now());
 *   recent.get(sandboxId, ecid, Date.now()); // the events still in the window
 */
import type { JsonObject, JsonValue } from '../storage/json.ts';

export interface RecentEventsOptions {
  maxVisitors: number;
  /** Most bytes of event text held in all (default 64 MiB); the least recent visitors leave first. */
  maxBytes?: number;
  perVisitor?: number;
  windowMs?: number;
}

interface Held {
  at: number;
  event: JsonObject;
  /** Length of the event's JSON text, what the byte bound counts. */
  bytes: number;
}

interface Visitor {
  events: Held[];
  bytes: number;
}

/** Groups alloy adds to every event that edge audiences do not read. */
const LEFT_OUT = new Set(['device', 'environment', 'implementationDetails', 'identityMap', '_experience']);

/**
 * A frozen deep copy of a JSON value and about the length of its JSON text (strings counted
 * without escapes): one walk, where serializing and parsing again made a throwaway string of the
 * whole event and a second object tree on every request.
 */
function frozenCopy(value: JsonValue): { copy: JsonValue; bytes: number } {
  if (typeof value === 'string') return { copy: value, bytes: value.length + 2 };
  if (value === null || typeof value !== 'object') return { copy: value, bytes: String(value).length };
  if (Array.isArray(value)) {
    const copy: JsonValue[] = new Array<JsonValue>(value.length);
    let bytes = value.length === 0 ? 2 : 1 + value.length; // brackets and commas
    for (let i = 0; i < value.length; i++) {
      const inner = frozenCopy(value[i]);
      copy[i] = inner.copy;
      bytes += inner.bytes;
    }
    return { copy: Object.freeze(copy) as JsonValue, bytes };
  }
  return copyMembers(value, () => true);
}

/** An object's members (those `keep` accepts, undefined ones left out as JSON would), frozen. */
function copyMembers(value: JsonObject, keep: (key: string) => boolean): { copy: JsonObject; bytes: number } {
  const copy: JsonObject = {};
  let bytes = 1; // braces, and a comma before every member but the first
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined || !keep(key)) continue;
    const inner = frozenCopy(member);
    copy[key] = inner.copy;
    bytes += key.length + 4 + inner.bytes;
  }
  return { copy: Object.freeze(copy), bytes: bytes === 1 ? 2 : bytes };
}

/** The event without the left-out groups, as a deep copy no reader can change. */
function compact(event: JsonObject): { event: JsonObject; bytes: number } {
  const { copy, bytes } = copyMembers(event, (key) => !LEFT_OUT.has(key));
  return { event: copy, bytes };
}

export class RecentEvents {
  private readonly visitors = new Map<string, Visitor>();
  private readonly perVisitor: number;
  private readonly windowMs: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(private readonly options: RecentEventsOptions) {
    this.perVisitor = options.perVisitor ?? 20;
    this.windowMs = options.windowMs ?? 24 * 3600_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** The visitor's events still in the window (frozen: shared by every reader), in a new array the caller may extend. */
  get(sandboxId: string, visitorId: string, now: number): JsonObject[] {
    const held = this.visitors.get(`${sandboxId}\u0000${visitorId}`);
    if (!held) return [];
    const since = now - this.windowMs;
    const out: JsonObject[] = [];
    for (const h of held.events) if (h.at >= since) out.push(h.event);
    return out;
  }

  add(sandboxId: string, visitorId: string, events: readonly JsonObject[], now: number): void {
    if (events.length === 0) return;
    const key = `${sandboxId}\u0000${visitorId}`;
    const since = now - this.windowMs;
    const previous = this.visitors.get(key);
    const held = (previous?.events ?? []).filter((h) => h.at >= since);
    for (const event of events) {
      const ts = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : NaN;
      held.push({ at: Number.isNaN(ts) ? now : ts, ...compact(event) });
    }
    const kept = held.slice(-this.perVisitor);
    const visitor: Visitor = { events: kept, bytes: kept.reduce((n, h) => n + h.bytes, 0) };
    if (previous) {
      this.bytes -= previous.bytes;
      this.visitors.delete(key); // re-inserted last: the most recent
    }
    this.visitors.set(key, visitor);
    this.bytes += visitor.bytes;
    while (this.visitors.size > this.options.maxVisitors || (this.bytes > this.maxBytes && this.visitors.size > 1)) {
      const [oldest, dropped] = this.visitors.entries().next().value as [string, Visitor];
      this.visitors.delete(oldest);
      this.bytes -= dropped.bytes;
    }
  }

  forgetSandbox(sandboxId: string): void {
    const prefix = `${sandboxId}\u0000`;
    for (const [key, visitor] of this.visitors) {
      if (!key.startsWith(prefix)) continue;
      this.visitors.delete(key);
      this.bytes -= visitor.bytes;
    }
  }

  stats(): { visitors: number; bytes: number } {
    return { visitors: this.visitors.size, bytes: this.bytes };
  }
}
