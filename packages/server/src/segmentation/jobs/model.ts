/**
 * Batch segmentation jobs as the API shows them: a run over every profile of a sandbox (or some
 * audiences), its status, counts per audience and timings; the sandbox's schedule; and an
 * audience's size after each job. The schemas are the types.
 */
import { Type, type Static } from '@sinclair/typebox';

export const JobStatus = Type.Union([Type.Literal('queued'), Type.Literal('processing'), Type.Literal('succeeded'), Type.Literal('failed')]);
export type JobStatus = Static<typeof JobStatus>;

export const AudienceJobCounts = Type.Object({
  audienceId: Type.String(),
  /** Profiles that entered in this job. */
  realized: Type.Integer(),
  /** Profiles that were members before and still are. */
  existing: Type.Integer(),
  exited: Type.Integer(),
  /** Members after the job (realized + existing). */
  total: Type.Integer(),
});
export type AudienceJobCounts = Static<typeof AudienceJobCounts>;

export const JobTimings = Type.Object({
  materializeMs: Type.Integer({ description: 'reading merged profiles and events into the evaluation tables' }),
  evaluateMs: Type.Integer({ description: 'running the compiled audiences' }),
  writeMs: Type.Integer({ description: 'writing membership changes' }),
  totalMs: Type.Integer(),
});
export type JobTimings = Static<typeof JobTimings>;

export const AudienceJob = Type.Object({
  id: Type.String(),
  status: JobStatus,
  trigger: Type.Union([Type.Literal('api'), Type.Literal('schedule'), Type.Literal('retry')]),
  /** The audiences asked for; empty means every audience of the sandbox. */
  requestedAudienceIds: Type.Array(Type.String()),
  /** The job this one retries after a restart interrupted it. */
  retryOf: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** The evaluation instant (`now` in PQL). */
  evaluatedAt: Type.Optional(Type.String({ format: 'date-time' })),
  profilesEvaluated: Type.Integer(),
  audiences: Type.Array(AudienceJobCounts),
  /** Audiences left out of the run (their memberships are untouched), with the reason. */
  skipped: Type.Array(Type.Object({ audienceId: Type.String(), reason: Type.String() })),
  timings: Type.Optional(JobTimings),
  error: Type.Optional(Type.String()),
});
export type AudienceJob = Static<typeof AudienceJob>;

export const JobRequest = Type.Object(
  { audienceIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 4000, description: 'only these audiences (audiences they read through inSegment keep their current memberships); all when absent' })) },
  { additionalProperties: false },
);
export type JobRequest = Static<typeof JobRequest>;

export const JobSchedule = Type.Object({
  cron: Type.String({ minLength: 1, maxLength: 200, description: 'five- or six-field cron text (croner), in UTC' }),
  enabled: Type.Boolean(),
  nextRunAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type JobSchedule = Static<typeof JobSchedule>;

export const JobScheduleInput = Type.Object(
  { cron: Type.String({ minLength: 1, maxLength: 200 }), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type JobScheduleInput = Static<typeof JobScheduleInput>;

/** Every day at 01:00 UTC, like the suite's default nightly evaluation. */
export const DEFAULT_SCHEDULE = '0 1 * * *';

export const SizePoint = Type.Object({
  jobId: Type.String(),
  at: Type.String({ format: 'date-time' }),
  size: Type.Integer(),
  realized: Type.Integer(),
  exited: Type.Integer(),
});
export type SizePoint = Static<typeof SizePoint>;

export const DailySize = Type.Object({
  day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
  size: Type.Integer({ description: 'after the last job of the day' }),
  realized: Type.Integer({ description: 'entries over the day' }),
  exited: Type.Integer({ description: 'exits over the day' }),
});
export type DailySize = Static<typeof DailySize>;
