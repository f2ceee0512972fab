import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../src/config.js';
import { freePort } from '../src/server/free-port.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Who may read /metrics (docs/operations.md#health-readiness-and-metrics): METRICS_TOKEN requires a
// Bearer token; METRICS_ADDRESS moves /metrics to a listener of its own, off the main port.

const TOKEN = 'metrics-token-0123456789abcdef';

let open: TestServer;
let guarded: TestServer;
let separate: TestServer;
beforeAll(async () => {
  const port = await freePort('127.0.0.1');
  [open, guarded, separate] = await Promise.all([
    startTestServer(),
    startTestServer({ METRICS_TOKEN: TOKEN }),
    startTestServer({ METRICS_ADDRESS: `127.0.0.1:${port}`, METRICS_TOKEN: TOKEN }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close(), separate?.close()]);
});

const scrape = (url: string, authorization?: string) => fetch(url, { headers: authorization ? { authorization } : {} });

describe('/metrics', () => {
  it('is open on the main port when neither variable is set (the default)', async () => {
    expect(open.app.metricsUrl()).toBe(`${open.url}/metrics`);
    const response = await scrape(`${open.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('tessera_logins_total');
  });

  it('with METRICS_TOKEN, answers 401 without the Bearer token or with a wrong one, and the metrics with it', async () => {
    const url = `${guarded.url}/metrics`;
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await scrape(url, authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('tessera_');
    }
    const response = await scrape(url, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('tessera_logins_total');
    // The probes stay open: a load balancer has no token.
    expect((await fetch(`${guarded.url}/ready`)).status).toBe(200);
  });

  it('with METRICS_ADDRESS, is served on that listener only (with its token), and not on the main port', async () => {
    const metricsUrl = separate.app.metricsUrl()!;
    expect(metricsUrl).toBe(`http://${separate.config.metricsAddress!.host}:${separate.config.metricsAddress!.port}/metrics`);
    expect((await scrape(metricsUrl)).status).toBe(401);
    const response = await scrape(metricsUrl, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('tessera_logins_total');
    // The main port has no /metrics, with or without the token.
    const main = await scrape(`${separate.url}/metrics`, `Bearer ${TOKEN}`);
    expect(main.status).toBe(404);
    expect(await main.text()).not.toContain('tessera_');
    // And the metrics listener serves nothing else.
    expect((await fetch(metricsUrl.replace('/metrics', '/graphql'))).status).toBe(404);
    expect((await fetch(`${separate.url}/health`)).status).toBe(200);
  });

  it('closes the metrics listener when the server stops', async () => {
    const port = await freePort('127.0.0.1');
    const server = await startTestServer({ METRICS_ADDRESS: `127.0.0.1:${port}` });
    expect((await scrape(server.app.metricsUrl()!)).status).toBe(200);
    await server.close();
    await expect(scrape(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

// An address of this machine other than loopback, to see which interfaces a listener answers on.
const external = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

describe('HOST (the main listener)', () => {
  it('defaults to 0.0.0.0, every interface, as docs/security.md says; a blank HOST is the default, a set one is kept', () => {
    expect(loadConfig({}).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '  ' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: ' 127.0.0.1 ' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it.skipIf(!external)('HOST=0.0.0.0 answers on a non-loopback address of the machine; HOST=127.0.0.1 does not', async () => {
    const everywhere = await startTestServer({ HOST: '0.0.0.0' });
    try {
      const address = everywhere.app.server.address();
      expect(address).toMatchObject({ address: '0.0.0.0' });
      const port = (address as { port: number }).port;
      expect((await fetch(`http://${external}:${port}/health`)).status).toBe(200);
      // The servers of this file listen on 127.0.0.1 (the test helper's HOST): not reachable there.
      expect(open.app.server.address()).toMatchObject({ address: '127.0.0.1' });
      await expect(fetch(`http://${external}:${new URL(open.url).port}/health`)).rejects.toThrow();
    } finally {
      await everywhere.close();
    }
  });
});

describe('configuration', () => {
  it('parses METRICS_ADDRESS as host:port, [ipv6]:port or a port on HOST, and refuses anything else naming the variable', () => {
    expect(loadConfig({ METRICS_ADDRESS: '127.0.0.1:9464' }).metricsAddress).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ METRICS_ADDRESS: '[::1]:9464' }).metricsAddress).toEqual({ host: '::1', port: 9464 });
    expect(loadConfig({ METRICS_ADDRESS: '9464', HOST: '10.0.0.5' }).metricsAddress).toEqual({ host: '10.0.0.5', port: 9464 });
    expect(loadConfig({}).metricsAddress).toBeNull();
    for (const bad of ['localhost:99999', 'http://x:1', 'a:b', '::1:9464']) {
      expect(() => loadConfig({ METRICS_ADDRESS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ METRICS_ADDRESS: bad }), bad).toThrow(/METRICS_ADDRESS/);
    }
  });

  it('refuses a short METRICS_TOKEN or one with spaces, naming the variable', () => {
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: 'has a space in it, long enough' })).toThrow(/METRICS_TOKEN/);
  });
});
