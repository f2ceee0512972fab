import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, useTestServer, type TestServer } from './helpers/server.js';
import { ConfigError, loadConfig } from '../src/config.js';

// How the server serves the admin console (console/): content types, caching, the security
// headers, methods, and that no URL can reach a file outside the console. The console's behaviour
// in a browser is test/console.test.ts.

const server = useTestServer();

/** A request with the path exactly as written: fetch would resolve `..` and escapes first. */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let assetUrls: string[];
let version: string;

beforeAll(async () => {
  const page = await raw('/console');
  assetUrls = [...page.body.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]);
  version = assetUrls[0].split('/')[3];
});

describe('the console page', () => {
  it('is HTML with a strict Content-Security-Policy and the other security headers, revalidated on every load', async () => {
    for (const path of ['/console', '/console/']) {
      const page = await raw(path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      const csp = page.headers['content-security-policy'].split('; ');
      expect(csp).toEqual(
        expect.arrayContaining([
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'none'",
          "frame-ancestors 'none'",
          "require-trusted-types-for 'script'",
        ]),
      );
      // No inline code allowed, and none needed: the page only links its scripts and styles.
      expect(page.headers['content-security-policy']).not.toMatch(/unsafe-|data:|\*/);
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i);
      expect(page.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    }
  });

  it('names its own WebSocket origin in connect-src, and echoes no Host header that is not a host', async () => {
    const { host } = new URL(server.url);
    expect((await raw('/console')).headers['content-security-policy']).toContain(`connect-src 'self' ws://${host} wss://${host};`);
    const odd = await raw('/console', 'GET', { host: "evil.example; script-src 'unsafe-inline'" });
    expect(odd.headers['content-security-policy']).toContain("connect-src 'self';");
  });

  it('answers a conditional GET with 304 and HEAD without a body', async () => {
    const page = await raw('/console');
    expect((await raw('/console', 'GET', { 'if-none-match': page.headers.etag })).status).toBe(304);
    const head = await raw('/console', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(page.body));
  });

  it('refuses other methods with 405 and the allowed ones', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw('/console', method);
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
  });
});

describe('the console assets', () => {
  it('are served from a versioned path with their content types and cached for good', async () => {
    expect(assetUrls.map((url) => url.split('/').slice(4).join('/')).sort()).toEqual(['console.css', 'icon.svg', 'js/main.js']);
    const types = { css: 'text/css; charset=utf-8', svg: 'image/svg+xml', js: 'text/javascript; charset=utf-8' };
    for (const url of assetUrls) {
      const answer = await raw(url);
      expect(answer.status, url).toBe(200);
      expect(answer.headers['content-type']).toBe(types[url.split('.').pop() as keyof typeof types]);
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const main = await raw(`/console/assets/${version}/js/main.js`);
    expect(main.body).toBe(await readFile('console/assets/js/main.js', 'utf8'));
  });

  it("include graphql-ws's browser build and the modules it imports, from node_modules", async () => {
    const client = await raw(`/console/assets/${version}/js/vendor/graphql-ws/client.js`);
    expect(client.status).toBe(200);
    expect(client.body).toContain('function createClient');
    const imports = [...client.body.matchAll(/from\s*['"]\.\/([\w.-]+\.js)['"]/g)].map((match) => match[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const name of imports) expect((await raw(`/console/assets/${version}/js/vendor/graphql-ws/${name}`)).status, name).toBe(200);
    // Only what the client needs: not the server half of the package.
    expect((await raw(`/console/assets/${version}/js/vendor/graphql-ws/index.js`)).status).toBe(404);
  });

  it('cannot be reached under another version, nor can anything outside the console, however the path is written', async () => {
    const outside = [
      `/console/assets/${version}/../../../package.json`,
      `/console/assets/${version}/%2e%2e/%2e%2e/%2e%2e/package.json`,
      `/console/assets/${version}/..%2f..%2f..%2fpackage.json`,
      `/console/assets/${version}/js/..%5c..%5c..%5cpackage.json`,
      `/console/assets/${version}/%252e%252e/index.html`,
      `/console/assets/${version}/js/vendor/graphql-ws/../../../../../package.json`,
      `/console/assets/${version}/js/vendor/graphql-ws/..%2findex.js`,
      `/console/assets/${version}/`,
      `/console/assets/${version}`,
      '/console/assets/0123456789ab/console.css',
      '/console/index.html',
      '/console/assets/console.css',
      '/console/src/app.ts',
      '/console//etc/passwd',
    ];
    for (const path of outside) {
      const answer = await raw(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('"name": "tessera"');
    }
    // The page is the page, whatever sits beside it.
    expect((await raw('/consoles')).status).toBe(404);
  });
});

describe('CONSOLE_ENABLED', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer({ CONSOLE_ENABLED: 'false' });
  });
  afterAll(() => off?.close());

  it('false: /console and its assets are 404, the API works as before', async () => {
    for (const path of ['/console', '/console/', ...assetUrls]) expect((await fetch(`${off.url}${path}`)).status, path).toBe(404);
    expect((await off.gql('{ realms(first: 1) { edges { cursor } } }', {}, off.adminKey)).errors).toBeUndefined();
  });

  it('is a boolean: on by default, a bad value stops the start naming the variable', () => {
    expect(loadConfig({}).consoleEnabled).toBe(true);
    for (const value of ['false', '0', 'FALSE', ' false ']) expect(loadConfig({ CONSOLE_ENABLED: value }).consoleEnabled).toBe(false);
    for (const value of ['true', '1', '']) expect(loadConfig({ CONSOLE_ENABLED: value }).consoleEnabled).toBe(true);
    expect(() => loadConfig({ CONSOLE_ENABLED: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ CONSOLE_ENABLED: 'off' })).toThrow(/^CONSOLE_ENABLED: /);
  });
});
