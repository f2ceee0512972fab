import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, useTestServer, type TestServer } from './helpers/server.js';
import { useBrowser } from './helpers/browser.js';
import { seedRealm } from './helpers/factories.js';

// GraphiQL works offline (src/server/graphiql.ts): its page and everything the page loads come
// from our own origin, in a real Chromium that may not reach any other.

const server = useTestServer();
const browser = useBrowser();

async function graphiqlPage(): Promise<{ html: string; response: Response; assets: string[] }> {
  const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
  const html = await response.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  return { html, response, assets };
}

describe('the page and its assets', () => {
  it('the page names only our own assets, under a versioned path, with a policy that allows no other origin', async () => {
    const { html, response, assets } = await graphiqlPage();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(assets).toHaveLength(5);
    for (const path of assets) expect(path).toMatch(/^\/graphiql\/assets\/[0-9a-f]{12}\/[\w.-]+\.(js|css)$/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves each asset with its content type, cached for good, and answers a revalidation with 304', async () => {
    const { assets } = await graphiqlPage();
    for (const path of assets) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await response.text();
      expect(body.length, path).toBeGreaterThan(500);
      expect(body).not.toContain('sourceMappingURL');
      const again = await fetch(`${server.url}${path}`, { headers: { 'if-none-match': response.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  it('refuses an unknown asset, an old version and a write', async () => {
    const { assets } = await graphiqlPage();
    const js = assets.find((path) => path.endsWith('graphiql.js'))!;
    expect((await fetch(`${server.url}${js.replace('graphiql.js', 'nothing.js')}`)).status).toBe(404);
    expect((await fetch(`${server.url}${js.replace(/\/[0-9a-f]{12}\//, '/000000000000/')}`)).status).toBe(404);
    expect((await fetch(`${server.url}/graphiql/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}${js}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(405);
  });
});

describe('in Chromium, offline', () => {
  let page: Page;
  const elsewhere: string[] = [];

  beforeAll(async () => {
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const origin = new URL(server.url).origin;
    // No internet: any request that leaves our origin fails (and is noted, so the test can say which).
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
  });

  afterEach(() => {
    // No console error, CSP violation or uncaught exception, and nothing asked of another origin.
    expect(browser.problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  });

  async function setQuery(query: string) {
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    await page.evaluate((text) => {
      const editor = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { setValue(v: string): void } };
      editor.CodeMirror.setValue(text);
    }, query);
  }

  it('renders its editor and runs { __typename }', async () => {
    await page.goto(`${server.url}/graphql`);
    await setQuery('{ __typename }');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => page.locator('.result-window').innerText()).toContain('"__typename": "Query"');
  });

  /** The admin key in GraphiQL's headers editor (the tab below the query editor). */
  async function setAdminKey() {
    await page.getByRole('button', { name: 'Headers' }).click();
    const editor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
    await page.locator(editor).waitFor();
    await page.evaluate(
      ({ selector, key }) => {
        const element = document.querySelector(selector) as unknown as { CodeMirror: { setValue(v: string): void } };
        element.CodeMirror.setValue(JSON.stringify({ authorization: `Bearer ${key}` }));
      },
      { selector: editor, key: server.adminKey },
    );
  }

  it('sends the headers editor’s headers: an admin key', async () => {
    await page.goto(`${server.url}/graphql`);
    await setQuery('query Keys { adminKeys { scopes } }');
    await setAdminKey();
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => page.locator('.result-window').innerText()).toContain('"ADMIN_KEYS_MANAGE"');
  });

  it('streams a subscription over server-sent events, and ends it when stopped', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    await page.goto(`${server.url}/graphql`);
    await setQuery(`subscription Feed { sessionEvents(realmId: "${realm.id}") { type session { id } } }`);
    await setAdminKey();
    const stream = page.waitForResponse((response) => (response.headers()['content-type'] ?? '').startsWith('text/event-stream'));
    await page.locator('.graphiql-execute-button').click();
    const request = (await stream).request();
    const login = await user.login();
    await expect.poll(() => page.locator('.result-window').innerText()).toContain(login.session!.id);
    expect(await page.locator('.result-window').innerText()).toContain('"CREATED"');
    // Stopped in GraphiQL: the request ends (and with it the server's subscription).
    const ended = Promise.race([
      page.waitForEvent('requestfailed', (failed) => failed === request),
      page.waitForEvent('requestfinished', (finished) => finished === request),
    ]);
    await page.locator('.graphiql-execute-button').click();
    await ended;
  });
});

describe('in production', () => {
  let prod: TestServer;
  beforeAll(async () => {
    prod = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await prod?.close();
  });

  it('there is no GraphiQL, and none of its assets', async () => {
    const { assets } = await graphiqlPage();
    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect((await page.text()).toLowerCase()).not.toContain('graphiql');
    // The very path the development server serves.
    const asset = await fetch(`${prod.url}${assets[0]}`);
    expect(asset.status).toBe(404);
    expect(asset.headers.get('content-type') ?? '').not.toContain('javascript');
  });
});
