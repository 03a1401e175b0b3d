/**
 * Decisioning admin API: offers, activities (A/B, experience targeting, auto-allocate), server-side
 * impression and conversion reporting, and activity reports (JSON or CSV).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Platform } from '../platform.ts';
import { problem, type FieldError } from '../../errors.ts';
import { Activity, ActivityInput, Allocation, Condition, Offer, OfferInput } from '../../decisioning/model.ts';
import type { ActivityInput as ActivityInputType } from '../../decisioning/model.ts';
import { ActivityReport, reportCsv } from '../../decisioning/report.ts';
import { IdParams, problems } from './common.ts';

const DecisionEvent = Type.Object(
  {
    type: Type.Union([Type.Literal('impression'), Type.Literal('conversion'), Type.Literal('click')], {
      description: 'impression: the visitor saw `experienceId`; conversion: an event of the activity metric`s type; click: a click on the activity content',
    }),
    visitorId: Type.String({ minLength: 1, maxLength: 500 }),
    profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    experienceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'required for impressions' })),
    audiences: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100, description: 'audiences the visitor was in (report breakdown)' })),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'for conversions: must equal the activity metric`s event type' })),
    revenue: Type.Optional(Type.Number()),
    timestamp: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/** Conditions are one shared recursive schema (a `$ref`), which the type provider sees as unknown; the body was validated against it. */
const activityBody = (body: unknown) => body as ActivityInputType;

const EventsBody = Type.Object({ events: Type.Array(DecisionEvent, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });

export async function decisioningRoutes(parent: FastifyInstance, { decisioning, tenancy }: Platform) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(Condition);
  const audit = (actor: string, sandbox: string, action: string, resourceType: string, id: string) => tenancy.audit({ actor, sandbox, action, resourceType, resourceId: id });

  /* ------------------------------------------------------------------ offers */

  app.get('/offers', {
    config: { permission: 'read' },
    schema: { tags: ['decisioning'], summary: 'List offers', response: { 200: Type.Object({ items: Type.Array(Offer) }), ...problems(401, 403) } },
  }, async (request) => ({ items: await decisioning.listOffers(request.sandbox.id) }));

  app.post('/offers', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Create an offer: HTML, JSON, redirect, DOM actions or default content', body: OfferInput, response: { 201: Offer, ...problems(400, 401, 403, 422) } },
  }, async (request, reply) => {
    const offer = await decisioning.createOffer(request.sandbox, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'offer.create', 'offer', offer.id);
    return reply.status(201).send(offer);
  });

  app.get('/offers/:id', {
    config: { permission: 'read' },
    schema: { tags: ['decisioning'], summary: 'Get an offer', params: IdParams, response: { 200: Offer, ...problems(401, 403, 404) } },
  }, async (request) => decisioning.getOffer(request.sandbox.id, request.params.id));

  app.put('/offers/:id', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Replace an offer (live activities serve the new content at once)', params: IdParams, body: OfferInput, response: { 200: Offer, ...problems(400, 401, 403, 404, 422) } },
  }, async (request) => {
    const offer = await decisioning.updateOffer(request.sandbox, request.params.id, request.body);
    await audit(request.principal.keyId, request.sandbox.name, 'offer.update', 'offer', offer.id);
    return offer;
  });

  app.delete('/offers/:id', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Delete an offer no activity uses', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    await decisioning.deleteOffer(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'offer.delete', 'offer', request.params.id);
    return reply.status(204).send(null);
  });

  /* -------------------------------------------------------------- activities */

  app.get('/activities', {
    config: { permission: 'read' },
    schema: {
      tags: ['decisioning'],
      summary: 'List activities',
      querystring: Type.Object({ status: Type.Optional(Type.String()), type: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ items: Type.Array(Activity) }), ...problems(401, 403) },
    },
  }, async (request) => {
    const { status, type } = request.query;
    const items = (await decisioning.listActivities(request.sandbox.id)).filter((a) => (!status || a.status === status) && (!type || a.type === type));
    return { items };
  });

  app.post('/activities', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Create an activity (A/B test, experience targeting or auto-allocate)', body: ActivityInput, response: { 201: Activity, ...problems(400, 401, 403, 422) } },
  }, async (request, reply) => {
    const activity = await decisioning.createActivity(request.sandbox, activityBody(request.body));
    await audit(request.principal.keyId, request.sandbox.name, 'activity.create', 'activity', activity.id);
    return reply.status(201).send(activity);
  });

  app.get('/activities/:id', {
    config: { permission: 'read' },
    schema: { tags: ['decisioning'], summary: 'Get an activity', params: IdParams, response: { 200: Activity, ...problems(401, 403, 404) } },
  }, async (request) => decisioning.getActivity(request.sandbox.id, request.params.id));

  app.put('/activities/:id', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Replace an activity (also how it goes live, pauses or is archived: `status`)', params: IdParams, body: ActivityInput, response: { 200: Activity, ...problems(400, 401, 403, 404, 422) } },
  }, async (request) => {
    const activity = await decisioning.updateActivity(request.sandbox, request.params.id, activityBody(request.body));
    await audit(request.principal.keyId, request.sandbox.name, 'activity.update', 'activity', activity.id);
    return activity;
  });

  app.delete('/activities/:id', {
    config: { permission: 'write' },
    schema: { tags: ['decisioning'], summary: 'Delete an activity and its recorded events', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await decisioning.deleteActivity(request.sandbox.id, request.params.id);
    await audit(request.principal.keyId, request.sandbox.name, 'activity.delete', 'activity', request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/activities/:id/events', {
    config: { permission: 'ingest' },
    schema: {
      tags: ['decisioning'],
      summary: 'Report impressions, conversions and clicks from a server',
      description: 'Conversions and clicks are credited to the experience the visitor (profile id first, then visitor id) saw last in this activity; events of visitors without an impression, or of another type than the activity metric, are ignored.',
      params: IdParams,
      body: EventsBody,
      response: { 200: Type.Object({ impressions: Type.Integer(), conversions: Type.Integer(), ignored: Type.Integer() }), ...problems(400, 401, 403, 404, 422) },
    },
  }, async (request) => {
    const activity = await decisioning.getActivity(request.sandbox.id, request.params.id);
    const experiences = new Set(activity.experiences.map((e) => e.id));
    const errors: FieldError[] = [];
    request.body.events.forEach((event, index) => {
      if (event.type === 'impression' && !event.experienceId) errors.push({ path: `events[${index}].experienceId`, message: 'is required for an impression', index });
      else if (event.type === 'impression' && event.experienceId && !experiences.has(event.experienceId)) errors.push({ path: `events[${index}].experienceId`, message: `names no experience of this activity ("${event.experienceId}")`, index });
      if (event.type === 'conversion' && !event.eventType) errors.push({ path: `events[${index}].eventType`, message: 'is required for a conversion', index });
    });
    if (errors.length > 0) throw problem('DECISION_EVENT_INVALID', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
    let impressions = 0;
    let conversions = 0;
    let ignored = 0;
    for (const event of request.body.events) {
      const at = event.timestamp ? Date.parse(event.timestamp) : Date.now();
      const who = { visitorId: event.visitorId, ...(event.profileId ? { profileId: event.profileId } : {}) };
      if (event.type === 'impression' && event.experienceId) {
        decisioning.recordImpression(request.sandbox.id, { ...who, activityId: activity.id, experienceId: event.experienceId, audiences: event.audiences ?? [], at });
        impressions++;
        continue;
      }
      const credited = await decisioning.recordConversion(request.sandbox.id, {
        ...who,
        activityId: activity.id,
        kind: event.type === 'click' ? 'click' : 'event',
        ...(event.eventType ? { eventType: event.eventType } : {}),
        ...(event.revenue !== undefined ? { revenue: event.revenue } : {}),
        at,
      });
      if (credited.length > 0) conversions++;
      else ignored++;
    }
    return { impressions, conversions, ignored };
  });

  app.get('/activities/:id/report', {
    config: { permission: 'read' },
    schema: {
      tags: ['decisioning'],
      summary: 'Activity report: per experience visitors, conversions, revenue, rate, lift with 95% CI, p-values, chance to beat control, sample-ratio check; by audience; daily',
      params: IdParams,
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) }),
      response: { 200: Type.Union([ActivityReport, Type.String({ description: 'text/csv with ?format=csv' })]), ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const report = await decisioning.report(request.sandbox.id, request.params.id);
    if (request.query.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}-report.csv"`)
        .serializer((payload: string) => payload)
        .send(reportCsv(report));
    }
    return report;
  });

  app.post('/activities/:id/reallocate', {
    config: { permission: 'write' },
    schema: {
      tags: ['decisioning'],
      summary: 'Recompute auto-allocate traffic now (it is also recomputed every epoch)',
      params: IdParams,
      response: { 200: Allocation, ...problems(401, 403, 404, 409) },
    },
  }, async (request) => {
    const activity = await decisioning.getActivity(request.sandbox.id, request.params.id);
    if (activity.type !== 'auto-allocate' || activity.status !== 'live') throw problem('CONFLICT', 'only live auto-allocate activities are reallocated');
    const allocations = await decisioning.reallocate(request.sandbox.id);
    const allocation = allocations.get(activity.id);
    if (!allocation) throw problem('CONFLICT', 'the activity was not reallocated');
    return allocation;
  });
}
