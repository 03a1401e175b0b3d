/**
 * Test support for the browser SDK: headless Chromium (Debian's `/usr/bin/chromium` through
 * playwright-core), the SDK built in memory, and a tiny loopback HTTP server for fixture pages.
 *
 * @example
 *   const browser = await launchChromium();
 *   const site = await serveSite({ '/page.html': { type: 'text/html', body: '<div id="a"></div>' } });
 *   const page = await browser.newPage();
 *   await page.goto(site.url + '/page.html');
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { buildSdk, type BuiltSdk } from '../tools/build.ts';

export const CHROMIUM_PATH = process.env.MERIDIAN_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

let built: Promise<BuiltSdk> | undefined;

/** The SDK's standalone and module builds, built once per test process. */
export function builtSdk(): Promise<BuiltSdk> {
  built ??= buildSdk();
  return built;
}

export type Route = { type: string; body: string } | ((request: IncomingMessage, response: ServerResponse) => void);

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** Serves fixed bodies (or handlers) by path on a random loopback port. */
export async function serveSite(routes: Record<string, Route>): Promise<Site> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const route = routes[path];
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    if (typeof route === 'function') return route(request, response);
    response.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' }).end(route.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
