import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TerminateSessionDocument } from './generated/graphql.js';
import { useBrowser } from './helpers/browser.js';
import { seedRealm } from './helpers/factories.js';
import { freePort } from './helpers/processes.js';
import { ok, useTestServer } from './helpers/server.js';
import { sleep } from './helpers/ws-client.js';

// examples/browser as its README has a newcomer run it: the built client, Tessera with the page's
// origin in ALLOWED_ORIGINS, the example's own serve.mjs (on a free PORT), then in Chromium the
// page's form (realm id, username, password) and a second tab, and an admin ending the session.

const port = await freePort();
const exampleOrigin = `http://localhost:${port}`;
const server = useTestServer({ env: { ALLOWED_ORIGINS: exampleOrigin } });
const browser = useBrowser();
let serve: ChildProcess | undefined;

beforeAll(async () => {
  serve = await startExampleServer(port);
}, 120_000);
afterAll(async () => {
  if (serve && serve.exitCode === null && serve.signalCode === null) {
    const exited = new Promise((resolve) => serve!.once('exit', resolve));
    serve.kill();
    await exited;
  }
});

afterEach(async () => {
  for (const page of browser.context.pages()) await page.close();
  // No console error or uncaught exception in any tab of the example.
  expect(browser.problems.splice(0)).toEqual([]);
  // serve.mjs is still up: a request it cannot answer (the browser's /favicon.ico) is a 404, not a crash.
  expect(serve?.exitCode).toBeNull();
});

/** `node examples/browser/serve.mjs` from the repository root, as the README runs it. */
async function startExampleServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join('examples', 'browser', 'serve.mjs')], { env: { ...process.env, PORT: String(port) }, stdio: 'pipe' });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`example on ${exampleOrigin}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited (${code}):\n${output}`));
    });
  });
  return child;
}

/** A tab of the example, pointed at this Tessera with `?tessera=` as the README says. */
async function openExample(): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${exampleOrigin}/?${new URLSearchParams({ tessera: server.url })}`);
  return page;
}

const status = (page: Page) => page.locator('#status').textContent();

/** Log in through the page's form, as a newcomer would; the page then shows the session. */
async function logInThroughForm(page: Page, realmId: string, username: string, password: string): Promise<string> {
  await page.fill('input[name=realm]', realmId);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button:has-text("Log in")');
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Logged in as'));
  const sessionId = /session (\S+?)\./.exec((await status(page)) ?? '')?.[1];
  expect(sessionId).toBeTruthy();
  expect(await page.locator('#logout').isVisible()).toBe(true);
  return sessionId!;
}

/** Wait up to timeoutMs for the page to say it was logged out of this session with this reason. */
async function loggedOut(page: Page, sessionId: string, reason: string, timeoutMs: number): Promise<number> {
  const expected = `Logged out: ${reason} (session ${sessionId}).`;
  await page.waitForFunction((text) => document.getElementById('status')?.textContent === text, expected, { timeout: timeoutMs, polling: 50 });
  expect(await page.locator('#logout').isVisible()).toBe(false);
  return Date.now();
}

async function newUser() {
  const realm = await seedRealm(server);
  const user = await realm.createUser();
  return { realm, user };
}

const terminate = async (sessionId: string) => ok(await server.gql(TerminateSessionDocument, { id: sessionId }, server.adminKey));

describe('examples/browser', () => {
  it('log in through the form, open a second tab, an admin terminates the session: both tabs show TERMINATED_BY_ADMIN within 2 s', async () => {
    const { realm, user } = await newUser();
    const first = await openExample();
    expect(await status(first)).toBe('Logged out.');
    const sessionId = await logInThroughForm(first, realm.id, user.username, user.password!);

    // The second tab logs in by itself: the same session, from the realm and tokens the first kept.
    const second = await openExample();
    await second.waitForFunction((id) => document.getElementById('status')?.textContent?.includes(`session ${id}.`), sessionId);
    expect(await second.locator('#logout').isVisible()).toBe(true);
    await sleep(500); // both tabs' subscriptions connected

    const start = Date.now();
    await terminate(sessionId);
    for (const tab of [first, second]) {
      const at = await loggedOut(tab, sessionId, 'TERMINATED_BY_ADMIN', 2_000);
      expect(at - start).toBeLessThan(2_000);
    }
    // Logged out for good: a reload finds no login.
    await second.reload();
    await sleep(500);
    expect(await status(second)).toBe('Logged out.');
    // A file the example does not have is a 404, and serve.mjs stays up (checked after each test).
    expect((await fetch(`${exampleOrigin}/favicon.ico`)).status).toBe(404);
  });

  it('offline while the admin terminates the session: the tab coming back (visibilitychange, online) still shows TERMINATED_BY_ADMIN', async () => {
    const { realm, user } = await newUser();
    const page = await openExample();
    const sessionId = await logInThroughForm(page, realm.id, user.username, user.password!);
    await sleep(500); // the subscription connected

    await browser.context.setOffline(true);
    await terminate(sessionId);
    await sleep(1_000);
    expect(await status(page)).toMatch(/^Logged in as /); // nothing got through while offline

    // The tab comes back: it becomes visible again and the network returns.
    const back = Date.now();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await browser.context.setOffline(false);
    const at = await loggedOut(page, sessionId, 'TERMINATED_BY_ADMIN', 3_000);
    expect(at - back).toBeLessThan(3_000);
  });
});
