/** Privacy routes: access and delete requests by identity, their status, and the access file. */
import type { FastifyInstance } from 'fastify';
import { createReadStream, existsSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem } from '../../errors.ts';
import { PrivacyJob, PrivacyJobInput } from '../../profile/privacy.ts';
import { IdParams, problems } from './common.ts';

export async function privacyRoutes(parent: FastifyInstance, { privacy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/privacy/jobs', {
    config: { permission: 'manage' },
    schema: {
      tags: ['privacy'],
      summary: 'Submit an access or delete request for the person holding an identity',
      body: PrivacyJobInput,
      response: { 201: PrivacyJob, ...problems(400, 401, 403) },
    },
  }, async (request, reply) => reply.status(201).send(await privacy.submit(request.sandbox, request.body, request.principal.keyId)));

  app.get('/privacy/jobs', {
    config: { permission: 'manage' },
    schema: { tags: ['privacy'], summary: 'Privacy jobs, newest first', response: { 200: Type.Object({ items: Type.Array(PrivacyJob) }), ...problems(401, 403) } },
  }, async (request) => ({ items: privacy.list(request.sandbox.id, 200) }));

  app.get('/privacy/jobs/:id', {
    config: { permission: 'manage' },
    schema: { tags: ['privacy'], summary: 'A privacy job', params: IdParams, response: { 200: PrivacyJob, ...problems(401, 403, 404) } },
  }, async (request) => privacy.get(request.sandbox.id, request.params.id));

  app.get('/privacy/jobs/:id/file', {
    config: { permission: 'manage' },
    schema: { tags: ['privacy'], summary: 'The file of an access job: everything held about the person (JSON)', params: IdParams },
  }, async (request, reply) => {
    const job = privacy.get(request.sandbox.id, request.params.id);
    const path = privacy.filePath(request.sandbox.id, job.id);
    if (job.type !== 'access' || !job.file || !existsSync(path)) throw problem('NOT_FOUND', `privacy job ${job.id} has no file`);
    return reply.type('application/json').header('content-disposition', `attachment; filename="${job.id}.json"`).send(createReadStream(path));
  });
}
