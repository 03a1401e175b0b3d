/**
 * Datastreams: the public edge's unit of configuration. A datastream (`configId`, a UUID) binds
 * browser and app traffic to one sandbox, an event dataset and an optional profile dataset, and
 * says which edge services run, which web origins may call, how fast, and the org id that names
 * the edge cookies. The schemas here are the types.
 */
import { Type, type Static } from '@sinclair/typebox';

export const DatastreamServices = Type.Object(
  {
    personalization: Type.Optional(Type.Boolean({ default: true, description: 'decide activities and offers in the same request' })),
    audiences: Type.Optional(Type.Boolean({ default: true, description: 'evaluate edge audiences on each request' })),
    forwarding: Type.Optional(Type.Boolean({ default: false, description: 'forward events to destinations' })),
  },
  { additionalProperties: false },
);

export const RateLimit = Type.Object(
  {
    requestsPerSecond: Type.Number({ minimum: 1, maximum: 1_000_000, description: 'sustained requests per second for this datastream' }),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'bucket size: requests allowed at once (default 2 × requestsPerSecond)' })),
  },
  { additionalProperties: false },
);
export type RateLimit = Static<typeof RateLimit>;

/** `https://shop.example.com`, `http://localhost:3000`, or the explicit wildcard `*`. */
export const AllowedOrigin = Type.String({ minLength: 1, maxLength: 300 });

export const OrgId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(@AdobeOrg)?$', description: 'e.g. 53A16ACB5CC1D3760A495C99@AdobeOrg; names the cookies kndctr_<orgId with @ as _>_*' });

export const DatastreamInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    eventDatasetId: Type.String({ minLength: 1, maxLength: 200, description: 'id or name of an event-class dataset in this sandbox' }),
    profileDatasetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'id or name of a profile-class dataset in this sandbox' })),
    services: Type.Optional(DatastreamServices),
    allowedOrigins: Type.Optional(Type.Array(AllowedOrigin, { maxItems: 100, description: 'origins browsers may call from (CORS); "*" only when listed explicitly; empty: no cross-origin calls' })),
    rateLimit: Type.Optional(RateLimit),
    orgId: Type.Optional(OrgId),
    enabled: Type.Optional(Type.Boolean({ default: true, description: 'a disabled datastream resolves to nothing' })),
  },
  { additionalProperties: false },
);
export type DatastreamInput = Static<typeof DatastreamInput>;

export const Datastream = Type.Object({
  id: Type.String({ format: 'uuid', description: 'the configId (datastreamId) clients send' }),
  sandbox: Type.String({ description: 'sandbox name' }),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  eventDatasetId: Type.String(),
  profileDatasetId: Type.Optional(Type.String()),
  services: Type.Object({ personalization: Type.Boolean(), audiences: Type.Boolean(), forwarding: Type.Boolean() }),
  allowedOrigins: Type.Array(Type.String()),
  rateLimit: Type.Object({ requestsPerSecond: Type.Number(), burst: Type.Integer() }),
  orgId: Type.String(),
  cookiePrefix: Type.String({ description: 'kndctr_<orgId with @ as _>; the edge names its cookies <cookiePrefix>_identity, _cluster, ...' }),
  enabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Datastream = Static<typeof Datastream>;

export const DEFAULT_RATE_LIMIT = { requestsPerSecond: 1000 } as const;
export const DEFAULT_ORG_ID = 'Meridian@AdobeOrg';

/** `kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg`: the prefix of every edge cookie for this org. */
export function cookiePrefix(orgId: string): string {
  return `kndctr_${orgId.replaceAll('@', '_')}`;
}
