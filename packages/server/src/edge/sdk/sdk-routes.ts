/**
 * Public routes serving Meridian's browser SDK (`GET /sdk/meridian.js`, `/sdk/meridian.min.js`,
 * `/sdk/meridian.mjs`) and the demo storefront (`GET /demo/…`), with ETags, 304s and gzip. The
 * demo page gets its datastream from `?configId=` (the server injects it with the datastream's
 * org id); every path under /demo/ that is not an asset is the single-page shop.
 *
 * @example
 *   await app.register(async (sdk) => sdkRoutes(sdk, { datastreams: platform.datastreams }));
 *   // GET /demo/?configId=<datastream id>
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problem } from '../../errors.ts';
import type { ResolvedDatastream } from '../datastreams/service.ts';
import { loadSdkBundle, staticFile, type StaticFile } from './bundle.ts';

const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'demo');
const CONFIG_MARK = '<!--MERIDIAN_DEMO_CONFIG-->';
const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

export interface SdkRouteDeps {
  datastreams: { resolveDatastream(configId: string): Promise<ResolvedDatastream | undefined> };
}

/** The demo's assets (`demo/assets/*`), read once at start. */
function readDemoAssets(): Map<string, StaticFile> {
  const assets = new Map<string, StaticFile>();
  const dir = join(DEMO_DIR, 'assets');
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, staticFile(readFileSync(join(dir, name)), type));
  }
  return assets;
}

/** Sends a static file honouring If-None-Match and Accept-Encoding. */
function sendStatic(request: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) {
  reply.header('etag', file.etag).header('cache-control', cacheControl).header('vary', 'accept-encoding').type(file.contentType);
  const match = request.headers['if-none-match'];
  if (match && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) return reply.status(304).send();
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

/** JSON safe to place inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export async function sdkRoutes(parent: FastifyInstance, deps: SdkRouteDeps): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // Built now, in the background: the first request waits only for what is left of the build.
  loadSdkBundle().catch((error: unknown) => app.log.error({ err: error }, 'the web SDK could not be built'));
  const assets = readDemoAssets();
  const page = readFileSync(join(DEMO_DIR, 'index.html'), 'utf8');

  app.get('/sdk/:file', {
    schema: {
      tags: ['edge'],
      summary: "Meridian's browser SDK: meridian.js (standalone, minified; also meridian.min.js) or meridian.mjs (ES module)",
      security: [],
      params: Type.Object({ file: Type.String({ maxLength: 100 }) }),
    },
  }, async (request, reply) => {
    const bundle = await loadSdkBundle().catch((error: unknown) => {
      throw problem('UNAVAILABLE', `the web SDK could not be built: ${error instanceof Error ? error.message : String(error)}`);
    });
    const file = bundle.files.get(request.params.file);
    if (!file) throw problem('NOT_FOUND', `no SDK file ${request.params.file}; there are ${[...bundle.files.keys()].join(', ')}`);
    // Scripts may be loaded from any site; revalidation is cheap (ETag), so caches stay short.
    reply.header('access-control-allow-origin', '*');
    return sendStatic(request, reply, file, 'public, max-age=300, must-revalidate');
  });

  app.get('/demo', { schema: { hide: true } }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return reply.redirect(`/demo/${query}`, 302);
  });

  app.get('/demo/assets/:file', { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
    const file = assets.get(request.params.file);
    if (!file) throw problem('NOT_FOUND', `no demo asset ${request.params.file}`);
    return sendStatic(request, reply, file, 'public, max-age=300, must-revalidate');
  });

  const storefront = async (request: FastifyRequest, reply: FastifyReply) => {
    const configId = (request.query as Record<string, unknown>).configId;
    let config: Record<string, string> = {};
    if (typeof configId === 'string' && configId.length > 0 && configId.length <= 64) {
      const resolved = await deps.datastreams.resolveDatastream(configId);
      config = resolved ? { configId, orgId: resolved.datastream.orgId } : { configId, error: 'unknown or disabled datastream' };
    }
    const html = page.replace(CONFIG_MARK, `<script>window.MERIDIAN_DEMO = ${scriptJson(config)};</script>`);
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  };
  const demoSchema = { hide: true, querystring: Type.Object({ configId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: true }) };
  app.get('/demo/', { schema: demoSchema }, storefront);
  app.get('/demo/*', { schema: demoSchema }, storefront);
}
