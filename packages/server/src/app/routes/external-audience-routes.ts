/**
 * External audience routes: `POST /audiences/external` uploads identities (text/csv body with the
 * options in the query string, or multipart/form-data with a `file` part and the options as
 * fields). The audience is listed, read and deleted with the other audiences (`/audiences`).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { Audience } from '../../segmentation/audiences/model.ts';
import { readMultipart, UploadFormatError } from '../../segmentation/external/upload.ts';
import { problems } from './common.ts';

const Options = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'every value of the file is in this namespace (first column, or the column of that name)' })),
    ttlInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'members exit after this many days (default 30)' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'members exit at this instant (instead of ttlInDays)' })),
  },
  { additionalProperties: false },
);
type Options = Static<typeof Options>;

const UploadResult = Type.Object({
  audience: Audience,
  lines: Type.Integer({ description: 'data lines read (header excluded)' }),
  accepted: Type.Integer({ description: 'distinct identities kept' }),
  rejected: Type.Array(Type.Object({ line: Type.Integer({ description: '1-based line of the file (the header is line 1)' }), message: Type.String() })),
});

const MEDIA_TYPES = ['text/csv', 'multipart/form-data'];

export async function externalAudienceRoutes(parent: FastifyInstance, platform: Platform) {
  // Own scope: the body is a file (CSV, or a form holding one), read whole as bytes.
  await parent.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    routes(scope, platform);
  });
}

function routes(scope: FastifyInstance, { externalAudiences, tenancy }: Platform) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/audiences/external', {
    config: { permission: 'write' },
    schema: {
      tags: ['audiences'],
      summary: 'Create an external audience from uploaded identities (CSV)',
      description:
        'Body: text/csv (options in the query string) or multipart/form-data (a `file` part plus the options as fields). ' +
        'CSV header: identity namespaces (`email`, `CRMID`, ... case-insensitive), or an `identity` column of `NS:value`, or one column with `namespace`. ' +
        'Members are the profiles holding these identities, now or later, until the audience expires; bad lines are reported by line number and the others kept.',
      consumes: MEDIA_TYPES,
      querystring: Type.Partial(Options),
      body: Type.Unknown({ description: 'the CSV file, or a multipart form holding it' }),
      response: { 201: UploadResult, ...problems(400, 401, 403, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const contentType = (request.headers['content-type'] ?? '').toLowerCase();
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let csv: string;
    let fields: Record<string, string> = {};
    if (contentType.startsWith('text/csv') || contentType.startsWith('text/plain')) {
      csv = body.toString('utf8');
    } else if (contentType.startsWith('multipart/form-data')) {
      try {
        const parts = readMultipart(body, request.headers['content-type'] ?? '');
        const file = parts.find((p) => p.name === 'file') ?? parts.find((p) => p.filename !== undefined);
        if (!file) throw problem('INVALID_FILE', 'the form holds no file part (name it "file")', { errors: [{ path: 'file', message: 'is required' }] });
        csv = file.body.toString('utf8');
        fields = Object.fromEntries(parts.filter((p) => p !== file).map((p) => [p.name, p.body.toString('utf8')]));
      } catch (err) {
        if (err instanceof UploadFormatError) throw problem('BAD_REQUEST', err.message, { errors: [{ path: err.path, message: err.message }] });
        throw err;
      }
    } else {
      throw problem('UNSUPPORTED_MEDIA_TYPE', `send the identities as ${MEDIA_TYPES.join(' or ')}`);
    }
    const options = readOptions({ ...request.query, ...fields });
    const result = await externalAudiences.create(request.sandbox, {
      name: options.name,
      csv,
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.ttlInDays !== undefined ? { ttlInDays: options.ttlInDays } : {}),
      ...(options.expiresAt !== undefined ? { expiresAt: Date.parse(options.expiresAt) } : {}),
    });
    await tenancy.audit({ actor: request.principal.keyId, sandbox: request.sandbox.name, action: 'audience.external.create', resourceType: 'audience', resourceId: result.audience.id });
    return reply.status(201).send(result);
  });
}

/** The options from the query string and form fields, checked against the schema (422 naming the field). */
function readOptions(raw: Record<string, unknown>): Options {
  const input: Record<string, unknown> = { ...raw };
  if (typeof input.ttlInDays === 'string' && /^-?\d+$/.test(input.ttlInDays)) input.ttlInDays = Number(input.ttlInDays);
  const errors = [...Value.Errors(Options, input)].map((e) => ({ path: e.path.replace(/^\//, '').replaceAll('/', '.') || 'body', message: e.message }));
  if (errors.length > 0) throw problem('VALIDATION_FAILED', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  if (typeof input.expiresAt === 'string' && Number.isNaN(Date.parse(input.expiresAt))) {
    throw problem('VALIDATION_FAILED', 'expiresAt is not a date-time', { errors: [{ path: 'expiresAt', message: 'is not a date-time' }] });
  }
  return input as Options;
}
