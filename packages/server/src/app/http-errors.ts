/**
 * Turns anything thrown in a request into problem+json: our own errors keep their code, Fastify's
 * parsing and validation errors are mapped onto the registry, and the unexpected become INTERNAL.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MeridianError, pointerToPath, problem, type FieldError } from '../errors.ts';

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function requestValidationErrors(error: FastifyError): FieldError[] {
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  return ((error.validation ?? []) as AjvLikeError[]).map((v) => {
    let path = pointerToPath(v.instancePath ?? '');
    const missing = v.params?.missingProperty ?? v.params?.additionalProperty;
    if (typeof missing === 'string') path = path ? `${path}.${missing}` : missing;
    return { path: path ? `${context}.${path}` : context, message: v.message ?? 'is invalid' };
  });
}

export function toMeridianError(error: FastifyError | Error): MeridianError {
  if (error instanceof MeridianError) return error;
  const e = error as FastifyError;
  if (e.validation) {
    const errors = requestValidationErrors(e);
    return problem('VALIDATION_FAILED', errors.map((x) => `${x.path} ${x.message}`).join('; '), { errors });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('PAYLOAD_TOO_LARGE', e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('UNSUPPORTED_MEDIA_TYPE', e.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('INVALID_JSON', e.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return problem('BAD_REQUEST', e.message);
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return problem('INVALID_ENCODING', `gzip body cannot be decoded: ${e.message}`);
  }
  if (error instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return problem('INVALID_JSON', e.message);
  }
  if (e.statusCode === 413) return problem('PAYLOAD_TOO_LARGE', e.message);
  if (e.statusCode === 415) return problem('UNSUPPORTED_MEDIA_TYPE', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return problem('BAD_REQUEST', e.message);
  return problem('INTERNAL', 'an unexpected error occurred; it has been logged');
}

export function sendProblem(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const failure = toMeridianError(error);
  if (failure.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: failure.code, detail: failure.detail }, 'request refused');
  return reply.status(failure.status).type('application/problem+json').send(failure.toProblem(request.url));
}
