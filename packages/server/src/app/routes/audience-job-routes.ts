/**
 * Batch audience routes: jobs (run now, list, status), the sandbox's job schedule, an audience's
 * size history, the members export, and size estimates while editing.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { Expression } from '../../segmentation/audiences/model.ts';
import { AudienceJob, DailySize, JobRequest, JobSchedule, JobScheduleInput, SizePoint } from '../../segmentation/jobs/model.ts';
import { soloProfileIdentity, splitIdentityKey } from '../../identity/graph.ts';
import { exportMembers, type MemberIdentity } from '../../segmentation/jobs/member-export.ts';
import { IdParams, PageQuery, itemsPage, problems } from './common.ts';

const MemberStatus = Type.Union([Type.Literal('realized'), Type.Literal('existing'), Type.Literal('exited')]);

const Estimate = Type.Object({
  estimate: Type.Integer(),
  ratio: Type.Number(),
  sampleSize: Type.Integer(),
  qualified: Type.Integer(),
  population: Type.Integer(),
  exact: Type.Boolean(),
  confidenceInterval: Type.Object({ low: Type.Integer(), high: Type.Integer(), level: Type.Number() }),
  evaluatedAt: Type.String({ format: 'date-time' }),
  elapsedMs: Type.Integer(),
});

export async function audienceJobRoutes(parent: FastifyInstance, { audiences, audienceJobs, audienceEstimator, memberships, identity, tenancy, settleProfiles }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/audiences/jobs', {
    config: { permission: 'write' },
    schema: {
      tags: ['audiences'],
      summary: 'Run a batch segmentation job now (every audience, or audienceIds); answers at once with the queued job',
      body: JobRequest,
      response: { 202: AudienceJob, ...problems(400, 401, 403, 404) },
    },
    // "Run everything now" needs no body at all.
    preValidation: async (request) => {
      request.body ??= {};
    },
  }, async (request, reply) => {
    // Records acknowledged before the call are in the profiles the job reads.
    await settleProfiles();
    const job = await audienceJobs.submit(request.sandbox.id, request.body, 'api');
    await tenancy.audit({ actor: request.principal.keyId, sandbox: request.sandbox.name, action: 'audienceJob.create', resourceType: 'audienceJob', resourceId: job.id });
    return reply.status(202).send(job);
  });

  app.get('/audiences/jobs', {
    config: { permission: 'read' },
    schema: { tags: ['audiences'], summary: 'Batch segmentation jobs, newest first', querystring: PageQuery, response: { 200: itemsPage(AudienceJob), ...problems(401, 403) } },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const items = await audienceJobs.list(request.sandbox.id, { limit, ...(request.query.cursor ? { beforeId: request.query.cursor } : {}) });
    return { items, ...(items.length === limit ? { next: items[items.length - 1].id } : {}) };
  });

  app.get('/audiences/jobs/:id', {
    config: { permission: 'read' },
    schema: { tags: ['audiences'], summary: 'A batch segmentation job: status, counts per audience, timings, error', params: IdParams, response: { 200: AudienceJob, ...problems(401, 403, 404) } },
  }, async (request) => audienceJobs.get(request.sandbox.id, request.params.id));

  app.get('/audiences/schedule', {
    config: { permission: 'read' },
    schema: { tags: ['audiences'], summary: "The sandbox's batch segmentation schedule (cron, UTC; daily by default)", response: { 200: JobSchedule, ...problems(401, 403) } },
  }, async (request) => audienceJobs.schedule(request.sandbox.id));

  app.put('/audiences/schedule', {
    config: { permission: 'write' },
    schema: { tags: ['audiences'], summary: "Replace the sandbox's batch segmentation schedule", body: JobScheduleInput, response: { 200: JobSchedule, ...problems(400, 401, 403, 422) } },
  }, async (request) => {
    const schedule = await audienceJobs.setSchedule(request.sandbox.id, request.body);
    await tenancy.audit({ actor: request.principal.keyId, sandbox: request.sandbox.name, action: 'audienceJob.schedule', resourceType: 'audienceSchedule', resourceId: request.sandbox.id });
    return schedule;
  });

  app.post('/audiences/estimate', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: 'Estimate the size of an expression (saved or not) or a saved audience from a random sample of people, with a 95% interval',
      body: Type.Object(
        {
          expression: Type.Optional(Expression),
          audienceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          mergePolicyId: Type.Optional(Type.String()),
          sampleSize: Type.Optional(Type.Integer({ minimum: 10, maximum: 10_000 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Estimate, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const { expression, audienceId, mergePolicyId, sampleSize } = request.body;
    await settleProfiles();
    return audienceEstimator.estimate(request.sandbox, {
      ...(expression ? { expression } : {}),
      ...(audienceId ? { audienceId } : {}),
      ...(mergePolicyId ? { mergePolicyId } : {}),
      ...(sampleSize ? { sampleSize } : {}),
    });
  });

  app.get('/audiences/:id/size-history', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: 'Audience size after each batch job and per day (UTC)',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: { 200: Type.Object({ audienceId: Type.String(), jobs: Type.Array(SizePoint), days: Type.Array(DailySize) }), ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const audience = await audiences.get(request.sandbox.id, request.params.id);
    const [jobs, days] = await audienceJobs.sizeHistory(request.sandbox.id, audience.id, request.query.limit ?? 100);
    return { audienceId: audience.id, jobs, days };
  });

  app.get('/audiences/:id/members/export', {
    config: { permission: 'read' },
    schema: {
      tags: ['audiences'],
      summary: "Every member as CSV or JSON lines (streamed), with the profile's identities",
      params: IdParams,
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')], { default: 'csv' })), status: Type.Optional(MemberStatus) }),
    },
  }, async (request, reply) => {
    const audience = await audiences.get(request.sandbox.id, request.params.id);
    await settleProfiles();
    const format = request.query.format ?? 'csv';
    const identitiesOf = async (sandboxId: string, profileIds: readonly string[]) => {
      const graphs = await identity.graphsById(sandboxId, profileIds);
      const found = new Map<string, MemberIdentity[]>(graphs.map((g) => [g.id, [...g.nodes.values()].map((n) => ({ namespace: n.namespace, id: n.value }))]));
      // Without graph stitching a profile's id is `namespace:value` of its one identity.
      for (const id of profileIds) {
        const solo = soloProfileIdentity(id);
        if (!found.has(id) && solo) {
          const { namespace, value } = splitIdentityKey(solo);
          found.set(id, [{ namespace, id: value }]);
        }
      }
      return found;
    };
    const stream = Readable.from(exportMembers({ memberships, identitiesOf }, request.sandbox.id, audience.id, format, request.query.status ? [request.query.status] : undefined));
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${audience.id}-members.${format === 'csv' ? 'csv' : 'jsonl'}"`)
      .send(stream);
  });
}
