/**
 * The one registry of errors. Every failure a client can see has a stable code, an HTTP status
 * and a title here, and leaves the server as RFC 9457 problem+json.
 *
 * @example
 *   throw problem('DATASET_NOT_FOUND', `dataset ${id} does not exist`);
 */

export const ERRORS = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  INVALID_JSON: { status: 400, title: 'Body is not valid JSON' },
  INVALID_ENCODING: { status: 400, title: 'Body cannot be decoded' },
  VALIDATION_FAILED: { status: 400, title: 'Request does not match the API schema' },
  UNAUTHORIZED: { status: 401, title: 'A valid API key is required' },
  FORBIDDEN: { status: 403, title: 'The API key may not do this' },
  SANDBOX_FORBIDDEN: { status: 403, title: 'The API key is not allowed in this sandbox' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  SANDBOX_NOT_FOUND: { status: 404, title: 'No such sandbox' },
  SCHEMA_NOT_FOUND: { status: 404, title: 'No such schema' },
  DATASET_NOT_FOUND: { status: 404, title: 'No such dataset' },
  BATCH_NOT_FOUND: { status: 404, title: 'No such batch' },
  API_KEY_NOT_FOUND: { status: 404, title: 'No such API key' },
  CONFLICT: { status: 409, title: 'Conflicts with the current state' },
  NAME_TAKEN: { status: 409, title: 'The name is already used' },
  SCHEMA_IN_USE: { status: 409, title: 'The schema is used by a dataset' },
  SCHEMA_CHANGE_NOT_ADDITIVE: { status: 409, title: 'Only additive schema changes are allowed once a dataset holds data' },
  BATCH_NOT_READY: { status: 409, title: 'The batch has not finished' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Body is too large' },
  TOO_MANY_RECORDS: { status: 413, title: 'Too many records in one request' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RECORDS_REJECTED: { status: 422, title: 'Records do not match the dataset schema' },
  INVALID_SCHEMA: { status: 422, title: 'The schema definition is invalid' },
  INVALID_MAPPING: { status: 422, title: 'The field mapping is invalid' },
  INVALID_FILE: { status: 422, title: 'The file cannot be read' },
  QUERY_REJECTED: { status: 422, title: 'The query is not allowed' },
  PQL_INVALID: { status: 422, title: 'The PQL expression is not valid' },
  AUDIENCE_CYCLE: { status: 422, title: 'The audience would depend on itself through inSegment' },
  AUDIENCE_NOT_FOUND: { status: 404, title: 'No such audience' },
  AUDIENCE_IN_USE: { status: 409, title: 'Other audiences use this audience' },
  COMPUTED_ATTRIBUTE_NOT_FOUND: { status: 404, title: 'No such computed attribute' },
  COMPUTED_ATTRIBUTE_INVALID: { status: 422, title: 'The computed attribute definition is invalid' },
  COMPUTED_ATTRIBUTE_IN_USE: { status: 409, title: 'Audiences use this computed attribute' },
  AUDIENCE_JOB_NOT_FOUND: { status: 404, title: 'No such audience job' },
  INVALID_SCHEDULE: { status: 422, title: 'The schedule is not valid' },
  LABEL_NOT_FOUND: { status: 404, title: 'No such data-usage label' },
  MARKETING_ACTION_NOT_FOUND: { status: 404, title: 'No such marketing action' },
  POLICY_NOT_FOUND: { status: 404, title: 'No such governance policy' },
  POLICY_INVALID: { status: 422, title: 'The governance policy is invalid' },
  USAGE_REQUEST_INVALID: { status: 422, title: 'The data-usage evaluation request is invalid' },
  GOVERNANCE_IN_USE: { status: 409, title: 'A governance policy uses this label or marketing action' },
  GOVERNANCE_CORE_READ_ONLY: { status: 409, title: 'Core labels, marketing actions and policies cannot be changed' },
  QUERY_FAILED: { status: 422, title: 'The query failed' },
  QUERY_TIMEOUT: { status: 408, title: 'The query ran out of time' },
  DATASTREAM_NOT_FOUND: { status: 404, title: 'No such datastream' },
  INVALID_DATASTREAM: { status: 422, title: 'The datastream configuration is invalid' },
  SOURCE_NOT_FOUND: { status: 404, title: 'No such source' },
  INVALID_SOURCE: { status: 422, title: 'The source configuration is invalid' },
  WRITE_KEY_INVALID: { status: 401, title: 'A valid write key is required' },
  DESTINATION_NOT_FOUND: { status: 404, title: 'No such destination' },
  DESTINATION_IN_USE: { status: 409, title: 'Activations use this destination' },
  INVALID_DESTINATION_SETTINGS: { status: 422, title: 'The destination settings are invalid' },
  ACTIVATION_NOT_FOUND: { status: 404, title: 'No such activation' },
  INVALID_ACTIVATION: { status: 422, title: 'The activation is invalid' },
  ACTIVATION_IDENTITY_MISSING: { status: 422, title: 'The activation lacks an identity the destination needs' },
  ACTIVATION_BLOCKED: { status: 422, title: 'Governance blocks this activation' },
  ACTIVITY_NOT_FOUND: { status: 404, title: 'No such activity' },
  ACTIVITY_INVALID: { status: 422, title: 'The activity definition is invalid' },
  OFFER_NOT_FOUND: { status: 404, title: 'No such offer' },
  OFFER_INVALID: { status: 422, title: 'The offer definition is invalid' },
  OFFER_IN_USE: { status: 409, title: 'Activities use this offer' },
  DECISION_EVENT_INVALID: { status: 422, title: 'The decisioning event is invalid' },
  EDGE_ORIGIN_FORBIDDEN: { status: 403, title: 'This origin may not call the datastream' },
  EDGE_RATE_LIMITED: { status: 429, title: "The datastream's rate limit is reached" },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** A precise statement of what was wrong in one part of the input. */
export interface FieldError {
  /** Dot path of the field, e.g. `web.webPageDetails.name`; empty for the whole value. */
  path: string;
  message: string;
  /** Index of the record in the request or file, when the input held several. */
  index?: number;
}

export class MeridianError extends Error {
  override name = 'MeridianError';
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extras: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(`${code}: ${detail}`);
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
  }

  /** The RFC 9457 body. */
  toProblem(instance?: string): ProblemDetails {
    return {
      type: `https://meridian.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...this.extras,
    };
  }
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export function problem(code: ErrorCode, detail: string, extras?: MeridianError['extras']): MeridianError {
  return new MeridianError(code, detail, extras);
}

/** `/body/web/0/name` → `web[0].name`: the dot path users write in schemas and PQL. */
export function pointerToPath(pointer: string): string {
  let path = '';
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  return path;
}
