/**
 * https for the server when `MERIDIAN_TLS_CERT` and `MERIDIAN_TLS_KEY` name PEM files: the Adobe
 * Web SDK (alloy) calls the edge over https only. Given to Fastify as its `serverFactory`, so the
 * app, its routes and its types stay the same whichever protocol serves them.
 *
 * @example
 *   const app = Fastify({ ...tlsServerOptions(config) });  // {} without TLS settings
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';

export interface TlsSettings {
  tlsCert?: string;
  tlsKey?: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Fastify options that make it serve https, or nothing when TLS is not configured. */
export function tlsServerOptions(settings: TlsSettings): { serverFactory?: (handler: Handler) => Server } {
  if (!settings.tlsCert && !settings.tlsKey) return {};
  if (!settings.tlsCert || !settings.tlsKey) throw new Error('MERIDIAN_TLS_CERT and MERIDIAN_TLS_KEY must be set together');
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(settings.tlsCert);
    key = readFileSync(settings.tlsKey);
  } catch (err) {
    throw new Error(`MERIDIAN_TLS_CERT / MERIDIAN_TLS_KEY cannot be read: ${(err as Error).message}`);
  }
  // An https.Server is an http.Server with TLS underneath; Fastify only listens on it and hands it requests.
  return { serverFactory: (handler) => createServer({ cert, key }, handler) as unknown as Server };
}

/** `https` when the settings serve TLS, else `http`. */
export function schemeOf(settings: TlsSettings): 'https' | 'http' {
  return settings.tlsCert && settings.tlsKey ? 'https' : 'http';
}
