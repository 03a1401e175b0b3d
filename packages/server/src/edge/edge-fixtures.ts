/* eslint-disable @typescript-eslint/no-explicit-any -- test fixtures: API answers are read field by field */
/**
 * Fixtures the edge tests and the edge benchmark share: a sandbox's event dataset and datastream,
 * offers and live activities created through the admin API, and a raw edge call.
 *
 * @example
 *   const ds = await createDatastream(server, { allowedOrigins: ['https://shop.example.test'] });
 *   const res = await edgeCall(server, `/ee/v1/interact?configId=${ds.id}`, { events: [{ xdm: {} }] });
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../testing/harness.ts';

export const ORG_ID = '53A16ACB5CC1D3760A495C99@AdobeOrg';
export const PREFIX = 'kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg';

export interface EdgeAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** A datastream (and its event dataset) in the sandbox; `extra` overrides the datastream body. */
export async function createDatastream(server: TestServer, extra: Record<string, unknown> = {}, sandbox?: string): Promise<{ id: string; eventDatasetId: string }> {
  const opts = sandbox ? { sandbox } : {};
  const name = `web_${Math.random().toString(36).slice(2, 8)}`;
  const dataset = await server.api('POST', '/api/v1/datasets', { name, schemaId: 'experience-event', profileEnabled: true }, opts);
  assert.equal(dataset.status, 201, JSON.stringify(dataset.body));
  const ds = await server.api('POST', '/api/v1/datastreams', { name: `ds ${name}`, eventDatasetId: dataset.body.id, orgId: ORG_ID, ...extra }, opts);
  assert.equal(ds.status, 201, JSON.stringify(ds.body));
  return { id: ds.body.id, eventDatasetId: dataset.body.id };
}

export async function createOffer(server: TestServer, content: Record<string, unknown>, sandbox?: string): Promise<string> {
  const res = await server.api('POST', '/api/v1/offers', { name: `offer ${Math.random().toString(36).slice(2, 8)}`, content }, sandbox ? { sandbox } : {});
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

export async function createActivity(server: TestServer, body: Record<string, unknown>, sandbox?: string): Promise<string> {
  const res = await server.api('POST', '/api/v1/activities', { status: 'live', metric: { type: 'click' }, ...body }, sandbox ? { sandbox } : {});
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

/** A raw POST as a browser SDK sends it: text/plain JSON, optional headers. */
export async function edgeCall(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<EdgeAnswer> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

/** The handles of one type in an interact answer. */
export function handlesOf(body: any, type: string): any[] {
  return (body.handle as any[]).filter((h) => h.type === type);
}
