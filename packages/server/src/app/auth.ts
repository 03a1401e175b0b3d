/**
 * API-key authentication and sandbox scoping for the admin API. A route states the permission it
 * needs (`config.permission`) and whether it is sandbox-scoped; the hook resolves the key to a
 * principal and the `x-sandbox-name` header to a sandbox the principal may use.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problem } from '../errors.ts';
import { principalMaySee, roleAllows, type Permission, type Principal, type Sandbox } from '../tenancy/model.ts';
import type { TenancyService } from '../tenancy/service.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
    /** false for organization-level routes (sandboxes, keys); default true. */
    sandboxScoped?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
    sandbox: Sandbox;
  }
}

export const SANDBOX_HEADER = 'x-sandbox-name';

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

export function registerAuth(app: FastifyInstance, tenancy: TenancyService): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('sandbox', null as unknown as Sandbox);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const secret = bearer(request);
    if (!secret) throw problem('UNAUTHORIZED', 'send an API key as "Authorization: Bearer <key>"');
    const principal = await tenancy.authenticate(secret);
    const permission = config.permission ?? 'manage';
    if (!roleAllows(principal.role, permission)) {
      throw problem('FORBIDDEN', `role "${principal.role}" does not grant "${permission}" on ${request.routeOptions.url}`);
    }
    request.principal = principal;
    if (config.sandboxScoped === false) {
      // Sandboxes and keys reach past any one sandbox: a key limited to some sandboxes must not
      // delete another sandbox or mint a key for all of them.
      if (permission === 'manage' && principal.sandboxes) {
        throw problem('FORBIDDEN', `a key limited to sandboxes ${principal.sandboxes.join(', ')} may not manage the organization (${request.routeOptions.url})`);
      }
      return;
    }
    const name = (request.headers[SANDBOX_HEADER] as string | undefined) ?? 'prod';
    if (!principalMaySee(principal, name)) throw problem('SANDBOX_FORBIDDEN', `the API key may not use sandbox "${name}"`);
    request.sandbox = await tenancy.getSandbox(name);
  });
}
