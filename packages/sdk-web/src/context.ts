/**
 * What the SDK adds to every event's XDM (as Adobe's Web SDK does): page URL and referrer,
 * screen and viewport, local time, timestamp, an event `_id` and implementation details. The
 * caller's own fields always win.
 */
import type { Xdm } from './types.ts';

export const SDK_VERSION = '0.1.0';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `over` into `base` (objects merge, everything else replaces); returns `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(over)) {
    const current = base[key];
    base[key] = isObject(current) && isObject(value) ? deepMerge({ ...current }, value) : value;
  }
  return base;
}

/** 16 random bytes as a UUID of `version` (RFC 9562 variant bits). */
function formatUuid(b: Uint8Array, version: number): string {
  b[6] = (b[6] & 0x0f) | (version << 4);
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A random UUID, also on plain-http pages where `crypto.randomUUID` is missing. */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return formatUuid(crypto.getRandomValues(new Uint8Array(16)), 4);
}

/**
 * A UUID version 7: the time in ms first, then random bits. An event's `_id`: the server's index of
 * `_id`s keeps time-ordered ids together at its end (a random id dirtied a page of it per event).
 */
export function eventId(now: number = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) b[i] = Math.floor(now / 2 ** (8 * (5 - i))) & 0xff;
  return formatUuid(b, 7);
}

function localTime(now: Date): string {
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const pad = (n: number, width = 2) => String(Math.floor(Math.abs(n))).padStart(width, '0');
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

/** The browser context of an event, merged under the caller's XDM. */
export function enrichXdm(xdm: Xdm | undefined): Xdm {
  const now = new Date();
  const context: Xdm = {
    _id: eventId(now.getTime()),
    timestamp: now.toISOString(),
    web: {
      webPageDetails: { URL: location.href },
      ...(document.referrer ? { webReferrer: { URL: document.referrer } } : {}),
    },
    device: { screenHeight: screen.height, screenWidth: screen.width, screenOrientation: screen.width >= screen.height ? 'landscape' : 'portrait' },
    environment: {
      type: 'browser',
      browserDetails: { viewportWidth: document.documentElement.clientWidth, viewportHeight: document.documentElement.clientHeight },
    },
    placeContext: { localTime: localTime(now), localTimezoneOffset: now.getTimezoneOffset() },
    implementationDetails: { name: 'https://meridian.dev/sdk/web', version: SDK_VERSION, environment: 'browser' },
  };
  return deepMerge(context, xdm ?? {});
}
