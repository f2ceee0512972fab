import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, startTestServer, type TestServer } from './helpers/server.js';
import { useBrowser } from './helpers/browser.js';
import { seedRealm } from './helpers/factories.js';
import { eventually, sleep } from './helpers/ws-client.js';

// @tessera/client in a real Chromium against a real server: the built package (client/dist) is
// served from an origin of its own (an app, cross-origin to Tessera, allowed by ALLOWED_ORIGINS)
// and reaches Tessera through a TCP proxy the test can cut, as a network would be.

const browser = useBrowser();
let server: TestServer;
let app: Server;
let appOrigin: string;
let proxy: CuttableProxy;

beforeAll(async () => {
  app = await serveApp();
  appOrigin = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  // No grace window: a refresh token presented twice (two tabs refreshing) ends the session at once.
  server = await startTestServer({ ALLOWED_ORIGINS: appOrigin, REFRESH_GRACE_SECONDS: '0' });
  proxy = await cuttableProxy(Number(new URL(server.url).port));
}, 120_000);
afterAll(async () => {
  proxy?.close();
  await server?.close();
  await new Promise((resolve) => app?.close(resolve));
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  // No console error, CSP violation or uncaught exception in any tab, whatever the test did.
  // Taken out as checked, so that one test's problem fails that test and not every later one.
  expect(browser.problems.splice(0)).toEqual([]);
});

interface Termination {
  sessionId: string;
  reason: string;
  at: number;
}

/** A tab of the app: the test page of serveApp, with its client on window. */
async function openTab(realmId: string, options: { refreshAheadSeconds?: number } = {}): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const query = new URLSearchParams({ url: proxy.url, realm: realmId, ahead: String(options.refreshAheadSeconds ?? '') });
  await page.goto(`${appOrigin}/?${query}`);
  await page.waitForFunction(() => (window as any).ready === true);
  return page;
}

const terminations = (page: Page) => page.evaluate(() => (window as any).terminations as Termination[]);
const currentLogin = (page: Page) => page.evaluate(() => (window as any).client.currentLogin());
const accessToken = (page: Page) => page.evaluate(() => (window as any).client.getAccessToken() as Promise<string | null>);

async function twoTabsLoggedIn(realm: Awaited<ReturnType<typeof seedRealm>>, options: { refreshAheadSeconds?: number } = {}) {
  const user = await realm.createUser();
  const first = await openTab(realm.id, options);
  const login = await first.evaluate(([username, password]) => (window as any).client.login({ username, password }), [user.username, user.password!] as const);
  const second = await openTab(realm.id, options);
  // The second tab was handed the first one's login: one session for both.
  expect((await currentLogin(second))?.sessionId).toBe(login.sessionId);
  return { user, login, first, second };
}

async function sessionState(id: string): Promise<{ state: string; terminationReason: string | null }> {
  return ok(
    await server.gql<{ session: { state: string; terminationReason: string | null } }>(
      'query($id: ID!) { session(id: $id) { state terminationReason } }',
      { id },
      server.adminKey,
    ),
  ).session;
}

const TERMINATE = 'mutation($id: ID!) { terminateSession(id: $id) { id } }';

describe('@tessera/client in Chromium', () => {
  it('an admin terminates the session: both tabs get TERMINATED_BY_ADMIN within 1 s and forget their tokens', async () => {
    const realm = await seedRealm(server);
    const { login, first, second } = await twoTabsLoggedIn(realm);
    await sleep(500); // both subscriptions connected
    const start = Date.now();
    ok(await server.gql(TERMINATE, { id: login.sessionId }, server.adminKey));
    for (const tab of [first, second]) {
      const [ended] = await eventually(async () => ((await terminations(tab)).length ? terminations(tab) : null), 2_000, 'the callback');
      expect(ended).toMatchObject({ sessionId: login.sessionId, reason: 'TERMINATED_BY_ADMIN' });
      expect(ended.at - start).toBeLessThan(1_000);
      expect(await accessToken(tab)).toBeNull();
    }
    await sleep(300);
    expect(await terminations(first)).toHaveLength(1); // once per tab, though both tabs heard it
    expect(await terminations(second)).toHaveLength(1);
  });

  it('the network cut for 10 s while the session ends: both tabs learn it, with its reason, once back', async () => {
    const realm = await seedRealm(server);
    const { login, first, second } = await twoTabsLoggedIn(realm);
    await sleep(500);
    await browser.context.setOffline(true);
    proxy.cut();
    ok(await server.gql(TERMINATE, { id: login.sessionId }, server.adminKey));
    await sleep(10_000);
    expect(await terminations(first)).toEqual([]); // nothing got through the cut
    expect(await terminations(second)).toEqual([]);

    proxy.restore();
    await browser.context.setOffline(false);
    const back = Date.now();
    for (const tab of [first, second]) {
      const [ended] = await eventually(async () => ((await terminations(tab)).length ? terminations(tab) : null), 5_000, 'the missed termination');
      expect(ended).toMatchObject({ sessionId: login.sessionId, reason: 'TERMINATED_BY_ADMIN' });
      expect(ended.at - back).toBeLessThan(3_000);
    }
  });

  it('a tab back from sleep (hidden over 10 s, its socket silently dead) reconnects at once and learns the termination', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const tab = await openTab(realm.id);
    const login = await tab.evaluate(([username, password]) => (window as any).client.login({ username, password }), [user.username, user.password!] as const);
    await sleep(500);
    const setVisibility = (state: 'hidden' | 'visible') =>
      tab.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    // As a laptop asleep: the connection under the socket is gone, yet nothing closes it.
    proxy.freeze();
    ok(await server.gql(TERMINATE, { id: login.sessionId }, server.adminKey));
    await sleep(10_500);
    expect(await terminations(tab)).toEqual([]);
    const visibleAt = Date.now();
    await setVisibility('visible');
    const [ended] = await eventually(async () => ((await terminations(tab)).length ? terminations(tab) : null), 10_000, 'the termination');
    expect(ended).toMatchObject({ sessionId: login.sessionId, reason: 'TERMINATED_BY_ADMIN' });
    // Not the keep-alive's doing (a ping 10 s after connecting, then 5 s for its pong): the wake-up's.
    expect(ended.at - visibleAt).toBeLessThan(2_000);
  });

  it("the user's own sessions: listSessions marks the current one; terminateSession, terminateOtherSessions and logout end what they say", async () => {
    const realm = await seedRealm(server);
    const { user, login, first, second } = await twoTabsLoggedIn(realm);
    // Two more sessions of the same user, from elsewhere.
    const [elsewhere, other] = [(await user.login()).session!, (await user.login()).session!];
    await sleep(500); // both subscriptions connected

    const listed = (await first.evaluate(() => (window as any).client.listSessions())) as { id: string; state: string; current: boolean }[];
    expect(listed.map((session) => session.id).sort()).toEqual([login.sessionId, elsewhere.id, other.id].sort());
    expect(listed.filter((session) => session.current).map((session) => session.id)).toEqual([login.sessionId]);
    expect(listed.every((session) => session.state === 'ACTIVE')).toBe(true);

    await first.evaluate((id) => (window as any).client.terminateSession(id), elsewhere.id);
    expect((await sessionState(elsewhere.id)).state).toBe('TERMINATED');
    expect((await sessionState(other.id)).state).toBe('ACTIVE');
    expect(await second.evaluate(() => (window as any).client.terminateOtherSessions())).toBe(1);
    expect((await sessionState(other.id)).state).toBe('TERMINATED');
    expect((await sessionState(login.sessionId)).state).toBe('ACTIVE');
    expect(await terminations(first)).toEqual([]); // other sessions ending is no forced logout here

    await first.evaluate(() => (window as any).client.logout());
    expect(await sessionState(login.sessionId)).toEqual({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
    for (const tab of [first, second]) {
      const [ended] = await eventually(async () => ((await terminations(tab)).length ? terminations(tab) : null), 2_000, 'the logout callback');
      expect(ended).toMatchObject({ sessionId: login.sessionId, reason: 'LOGOUT' });
      expect(await accessToken(tab)).toBeNull();
    }
  });

  it('both tabs run past accessTokenSeconds: one refresh per period between them, never a reused refresh token', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 30 });
    const refreshes: number[] = [];
    const onRequest = (request: { postData(): string | null }) => {
      if (request.postData()?.includes('TesseraClientRefresh')) refreshes.push(Date.now());
    };
    browser.context.on('request', onRequest);
    try {
      // Refresh 25 s ahead of the 30 s expiry: every ~5 s, so a 31 s run sees six periods.
      const { login, first, second } = await twoTabsLoggedIn(realm, { refreshAheadSeconds: 25 });
      const start = Date.now();
      await sleep(31_000);
      const elapsed = Date.now() - start;

      expect(await sessionState(login.sessionId)).toEqual({ state: 'ACTIVE', terminationReason: null });
      expect(await terminations(first)).toEqual([]);
      expect(await terminations(second)).toEqual([]);
      expect(refreshes.length).toBeGreaterThanOrEqual(5);
      expect(refreshes.length).toBeLessThanOrEqual(Math.ceil(elapsed / 5_000));
      for (let i = 1; i < refreshes.length; i++) expect(refreshes[i] - refreshes[i - 1]).toBeGreaterThan(4_000);
      // Both tabs hold the latest token, and it is valid (the first login's expired long ago).
      const [a, b] = [await accessToken(first), await accessToken(second)];
      expect(a).toBe(b);
      const check = ok(await server.gql<{ verifyToken: { valid: boolean } }>('query($t: String!) { verifyToken(token: $t) { valid } }', { t: a }));
      expect(check.verifyToken.valid).toBe(true);
    } finally {
      browser.context.off('request', onRequest);
    }
  }, 60_000);
});

/** The app: a page that puts a client on window, the built package, and graphql-ws for the import map. */
async function serveApp(): Promise<Server> {
  const page = `<!doctype html>
<meta charset="utf-8">
<title>client test</title>
<script type="importmap">{ "imports": { "graphql-ws": "/vendor/graphql-ws/client.js" } }</script>
<script type="module">
  import { createTesseraClient } from '/client/index.js';
  const params = new URLSearchParams(location.search);
  window.terminations = [];
  window.client = createTesseraClient({
    url: params.get('url'),
    realmId: params.get('realm'),
    app: 'client-browser-test',
    refreshAheadSeconds: params.get('ahead') ? Number(params.get('ahead')) : undefined,
    backoff: { baseMs: 300, maxMs: 2000 },
  });
  window.client.onSessionTerminated((termination) => window.terminations.push({ ...termination, at: Date.now() }));
  await window.client.currentLogin();
  window.ready = true;
</script>`;
  const roots: Record<string, string> = { '/client/': join('client', 'dist'), '/vendor/graphql-ws/': join('node_modules', 'graphql-ws', 'dist') };
  const server = createHttpServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const file = prefix ? normalize(join(roots[prefix], path.slice(prefix.length))) : null;
    if (!prefix || !file || !file.startsWith(roots[prefix])) return void res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface CuttableProxy {
  url: string;
  /** Drop every connection and refuse new ones, as a lost network would. */
  cut(): void;
  /** Open connections stop carrying anything, without closing (a sleep); new ones work. */
  freeze(): void;
  restore(): void;
  close(): void;
}

async function cuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const tcp: TcpServer = createTcpServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(tcp.address() as { port: number }).port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    freeze() {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      cut = false;
    },
    close() {
      tcp.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
