/**
 * What a destination type is: a declarative definition (settings schema, mapping defaults,
 * identity requirements, how to deliver one event or a batch, which failures are worth retrying).
 * A new type is one folder under `destinations/` exporting a `DestinationDefinition`.
 *
 * @example
 *   const result = await webhook.perform(event, { settings, destination, signal });
 */
import type { TSchema } from '@sinclair/typebox';
import type { ConsentPurpose } from '../../governance/consent.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';

/** One profile's membership change (or scheduled export row), shaped for a destination. */
export interface DeliveryEvent {
  /** Stable per outbox item: the idempotency key the destination receives. */
  id: string;
  activationId: string;
  profileId: string;
  audience: { id: string; name: string; status: 'realized' | 'existing' | 'exited'; lastQualificationTime: string };
  /** Mapped attributes by destination field name. */
  attributes: JsonObject;
  /** Destination identity field (e.g. `email_lc_sha256`, `Email`) → values (hashed when asked). */
  identities: Record<string, string[]>;
  /** The suite's export shape: `segmentMembership.ups.<audienceId>` of the mapped audiences. */
  segmentMembership: { ups: Record<string, { status: string; lastQualificationTime: string }> };
  /** When the change happened, ISO 8601. */
  timestamp: string;
}

/** Context a destination gets on every call. */
export interface DeliveryContext<S> {
  settings: S;
  destination: { id: string; name: string; sandboxName: string };
  /** Aborts when the engine's per-call timeout passes. */
  signal: AbortSignal;
  /** Folder under which file destinations write (`<data dir>/exports`). */
  exportRoot: string;
}

/** A failure the engine retries (429, 5xx, timeouts, network) or gives up on (other 4xx, bad data). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** Seconds the destination asked us to wait (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** How destination identities must be provided. */
export interface IdentityRequirement {
  /** Source namespaces the destination accepts; empty = any. */
  namespaces: readonly string[];
  /** At least this many of the accepted namespaces must be mapped. */
  minimum: number;
  /**
   * `required`: values are always hashed (SHA-256); `optional`: the activation chooses; `never`:
   * values go plain (a service that sends to the address or number cannot use a hash).
   */
  hashing: 'required' | 'optional' | 'never';
}

export interface FieldMapping {
  /** Dot path in the merged profile's attributes, e.g. `person.name.firstName`. */
  source: string;
  /** Field name at the destination. */
  destination: string;
}

/** A settings problem found beyond what the JSON schema can say, by dot path under `settings`. */
export interface SettingsIssue {
  path: string;
  message: string;
}

/** A batch export of one audience (file destinations): rows stream in, one file set comes out. */
export interface AudienceExport {
  audience: { id: string; name: string };
  /** Export time used in file names (the run's scheduled time). */
  at: Date;
  /** Columns in order: identity fields, then mapped fields, then the membership status. */
  columns: readonly string[];
  rows: AsyncIterable<JsonObject[]>;
}

export interface DestinationDefinition<S = JsonObject> {
  type: string;
  name: string;
  description: string;
  /** TypeBox schema of the settings; `settings.<path>` is named in 422 answers. */
  settings: TSchema;
  /** Settings whose values are never returned by the API. */
  secrets: readonly string[];
  /** Checks a JSON schema cannot express (URL schemes, combinations). */
  validate?(settings: S): SettingsIssue[];
  /** Mappings used when an activation gives none. */
  defaultMappings: readonly FieldMapping[];
  identities: IdentityRequirement;
  /** Schedules this type supports. */
  schedules: readonly ('streaming' | 'batch')[];
  /** Largest batch `performBatch` accepts (1 = only `perform`). */
  maxBatchSize(settings: S): number;
  /** Consent purposes of the channel every exported profile must allow (default: `marketing`, any marketing). */
  consentPurposes?(settings: S): readonly ConsentPurpose[];
  /** Events per second the destination allows (undefined = unlimited). */
  rateLimitPerSecond?(settings: S): number | undefined;
  perform?(event: DeliveryEvent, context: DeliveryContext<S>): Promise<void>;
  performBatch?(events: readonly DeliveryEvent[], context: DeliveryContext<S>): Promise<void>;
  /** File-style destinations deliver whole audiences instead of events. */
  exportAudience?(job: AudienceExport, context: DeliveryContext<S>): Promise<{ files: string[]; rows: number }>;
}

/** Classifies an HTTP answer: 2xx ok; 408/429/5xx retry; other 4xx permanent. */
export function classifyStatus(status: number, body: string, retryAfter?: string | null): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const retryable = status === 408 || status === 429 || status >= 500;
  const wait = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new DeliveryError(`destination answered ${status}${body ? `: ${body.slice(0, 300)}` : ''}`, retryable, status, wait);
}

/** Classifies a thrown error: timeouts and network failures retry; anything else is permanent. */
export function classifyThrown(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as Error & { code?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new DeliveryError('destination did not answer in time', true);
  // System errors (ECONNREFUSED, ECONNRESET, ENOTFOUND, EAI_AGAIN...) and malformed answers (HPE_*)
  // are worth another try; Node's own ERR_* codes (an unusable URL or header) are not.
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TypeError' && !code) return new DeliveryError(`network error: ${e.message}`, true);
  if (code && !code.startsWith('ERR_')) return new DeliveryError(`network error: ${code}`, true);
  return new DeliveryError(e.message ?? String(err), false);
}

/** Reads a dot path from a JSON object. */
export function readPath(value: JsonValue | undefined, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const part of pathParts(path)) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Split paths, memoized: exports read the same few mapped paths for every profile. Bounded, since paths may come from templates. */
const splitPaths = new Map<string, readonly string[]>();

function pathParts(path: string): readonly string[] {
  let parts = splitPaths.get(path);
  if (!parts) {
    if (splitPaths.size >= 1024) splitPaths.clear();
    parts = path.split('.');
    splitPaths.set(path, parts);
  }
  return parts;
}
