import { copyFile, mkdir, readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, useTestServer } from './helpers/server.js';
import { useBrowser } from './helpers/browser.js';
import { createAdminKey, seedRealm, unique, type SeededRealm, type SeededUser } from './helpers/factories.js';
import { eventually, openWs } from './helpers/ws-client.js';
import { LoginWithApiKeyDocument, RefreshDocument } from './generated/graphql.js';

// The admin console in a real Chromium against a real server: every test signs in through the
// sign-in form, clicks what an admin clicks, and checks the outcome both on the page and through
// the API (or a script's own subscription).

const server = useTestServer({ env: { TRUST_PROXY: '1' } });
const browser = useBrowser();

/** Screenshots of each run (git-ignored); `npm run console:screenshots` also copies the README's. */
const OUTPUT_DIR = join('test-output', 'console');
const README_IMAGES = process.env.CONSOLE_SCREENSHOTS_DIR;

const CLIENTS = {
  chromeMac: {
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    app: 'web',
    ip: '203.0.113.24',
  },
  safariIphone: {
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    app: 'ios',
    ip: '198.51.100.73',
  },
  firefoxWindows: {
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
    app: 'desktop',
    ip: '192.0.2.145',
  },
};
type ClientName = keyof typeof CLIENTS;

function loginFrom(user: SeededUser, client: ClientName) {
  const { userAgent, app, ip } = CLIENTS[client];
  return user.login({ userAgent, app }, { 'x-forwarded-for': ip });
}

let page: Page;

beforeAll(async () => {
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
});

afterEach(() => {
  // No console error, CSP violation or uncaught exception in any page, whatever the test did.
  expect(browser.problems).toEqual([]);
});

/** Sign in from scratch (a fresh tab session) with this key. */
async function signIn(target: Page, key: string) {
  await target.goto(`${server.url}/console`);
  const form = target.getByLabel('Admin key');
  const signOut = target.getByRole('button', { name: 'Sign out' });
  await form.or(signOut).waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await form.fill(key);
  await target.getByRole('button', { name: 'Sign in' }).click();
}

async function open(target: Page, hash: string) {
  await target.evaluate((h) => (location.hash = h), hash);
}

async function shot(target: Page, name: string, expectedTitle: string, { readme = false } = {}) {
  await mkdir(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await target.screenshot({ path, fullPage: true });
  const png = await readFile(path);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.length).toBeGreaterThan(10_000);
  expect(await target.title()).toBe(expectedTitle);
  if (readme && README_IMAGES) {
    await mkdir(README_IMAGES, { recursive: true });
    await copyFile(path, join(README_IMAGES, `${name}.png`));
  }
}

const activeSessions = async (realm: SeededRealm, userId: string) =>
  ok(
    await server.gql<{ sessions: { edges: { node: { id: string } }[] } }>(
      'query ($r: ID!, $u: ID) { sessions(realmId: $r, userId: $u, state: ACTIVE, first: 100) { edges { node { id } } } }',
      { r: realm.id, u: userId },
      server.adminKey,
    ),
  ).sessions.edges.map((edge) => edge.node.id);

describe('signing in', () => {
  it('a wrong key gets a clear message, and the key is never put in the URL', async () => {
    await signIn(page, `tsa_${'x'.repeat(40)}`);
    await page.getByRole('alert').filter({ hasText: 'This admin key is not accepted' }).waitFor();
    expect(await page.title()).toBe('Sign in · Tessera console');

    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    expect(page.url()).not.toContain(server.adminKey);
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, '']);
  });

  it('a realm-limited key sees only its realm, and only the actions its scopes allow', async () => {
    const mine = await seedRealm(server);
    const other = await seedRealm(server);
    const user = await mine.createUser();
    await loginFrom(user, 'chromeMac');
    const readOnly = await createAdminKey(server, { realmId: mine.id, scopes: ['REALMS_READ', 'USERS_READ', 'SESSIONS_READ'] });

    await signIn(page, readOnly);
    const rows = page.locator('table.data tbody tr');
    await rows.first().getByRole('link', { name: mine.name }).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await page.getByText(other.name).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Create realm' }).count()).toBe(0);

    // Its realm: settings read only, no key rotation, no secret, no "log everyone out".
    await rows.first().getByRole('link', { name: mine.name }).click();
    await page.getByRole('heading', { name: mine.name, level: 1 }).waitFor();
    expect(await page.getByLabel('Active sessions per user').isDisabled()).toBe(true);
    for (const name of ['Save settings', 'Rotate signing key', 'Reveal HS256 secret', 'Log everyone out']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await page.getByText('shown only to keys with the REALMS_MANAGE scope').waitFor();

    // Users without "Create user", sessions without "Terminate".
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: user.username }).waitFor();
    expect(await page.getByRole('button', { name: 'Create user' }).count()).toBe(0);
    await open(page, `#/realms/${mine.id}/sessions?user=${user.id}`);
    await page.getByRole('cell', { name: CLIENTS.chromeMac.ip }).waitFor();
    expect(await page.getByRole('button', { name: /Terminate/ }).count()).toBe(0);

    // The other realm does not exist for this key.
    await open(page, `#/realms/${other.id}`);
    await page.getByRole('alert').filter({ hasText: 'Realm not found' }).waitFor();

    // The same limit with REALMS_MANAGE: its realm's settings become editable, no realm creation.
    const manager = await createAdminKey(server, { realmId: mine.id, scopes: ['REALMS_MANAGE'] });
    await signIn(page, manager);
    await page.getByRole('link', { name: mine.name }).click();
    await page.getByRole('button', { name: 'Save settings' }).waitFor();
    expect(await page.getByLabel('Active sessions per user').isDisabled()).toBe(false);
    expect(await page.getByRole('link', { name: 'Create realm' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);

    // A key that may not list realms works in the realm whose id it is given; what it may not do
    // is refused in words.
    const watcher = await createAdminKey(server, { realmId: mine.id, scopes: ['SESSIONS_READ'] });
    await signIn(page, watcher);
    await page.getByRole('heading', { name: 'Open a realm' }).waitFor();
    await page.getByLabel('Realm id').fill(mine.id);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
    await page.getByRole('cell', { name: CLIENTS.chromeMac.ip }).waitFor();
    await open(page, `#/realms/${mine.id}/users`);
    await page.getByRole('alert').filter({ hasText: 'This admin key is not allowed to do that (Requires the USERS_READ scope).' }).waitFor();
  });
});

describe('realms', () => {
  it("an invalid setting shows the server's message at its field; fixed, the realm is created", async () => {
    const name = unique('console-realm');
    const refused = await server.gql(
      'mutation ($input: CreateRealmInput!) { createRealm(input: $input) { id } }',
      { input: { name, maxActiveSessions: 0 } },
      server.adminKey,
    );
    const serverMessage = refused.errors![0].message;
    expect(refused.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'maxActiveSessions' });

    await signIn(page, server.adminKey);
    await page.getByRole('link', { name: 'Create realm' }).click();
    await page.getByLabel('Name').fill(name);
    const field = page.getByLabel('Active sessions per user');
    await field.fill('0');
    await page.getByRole('button', { name: 'Create realm' }).click();
    const error = page.locator('[data-field="maxActiveSessions"] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(serverMessage);
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await field.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await page.title()).toBe('New realm · Tessera console');

    await field.fill('5');
    await page.getByRole('button', { name: 'Create realm' }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    const realmId = decodeURIComponent(page.url().split('#/realms/')[1]);
    const { realm } = ok(await server.gql('query ($id: ID!) { realm(id: $id) { name maxActiveSessions sessionMinutes } }', { id: realmId }, server.adminKey));
    expect(realm).toEqual({ name, maxActiveSessions: 5, sessionMinutes: 600 });

    // Settings: a change is saved; the secret is revealed on demand; the key rotates after a confirmation.
    await page.getByLabel('Session length (minutes)', { exact: true }).fill('120');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved').waitFor();
    expect(ok(await server.gql('query ($id: ID!) { realm(id: $id) { sessionMinutes } }', { id: realmId }, server.adminKey)).realm.sessionMinutes).toBe(120);
    const { realm: keys } = ok(await server.gql('query ($id: ID!) { realm(id: $id) { jwtSecret signingKeyId } }', { id: realmId }, server.adminKey));
    await page.getByRole('button', { name: 'Reveal HS256 secret' }).click();
    await page.getByText(keys.jwtSecret).waitFor();
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('The signing key was rotated.').waitFor();
    const rotated = ok(await server.gql('query ($id: ID!) { realm(id: $id) { signingKeyId } }', { id: realmId }, server.adminKey)).realm.signingKeyId;
    expect(rotated).not.toBe(keys.signingKeyId);
    await page.getByText(rotated).waitFor();
  });
});

describe('sessions and the live feed', () => {
  /** Logins of a probe user until one shows in the feed: from then on the feed's subscription is live. */
  async function feedListening(feed: Page, realm: SeededRealm, probe?: SeededUser) {
    await feed
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    probe ??= await realm.createUser({ username: 'carol' });
    await eventually(
      async () => {
        const login = await loginFrom(probe, 'firefoxWindows');
        return feed
          .locator('li.event', { hasText: login.session!.id })
          .waitFor({ timeout: 1_000 })
          .then(() => true)
          .catch(() => false);
      },
      10_000,
      'the live feed to show a login',
    );
  }

  it('a session logged in from a script shows in the console; terminated there, the script hears TERMINATED_BY_ADMIN and the feed shows it', async () => {
    const realm = await seedRealm(server, { name: 'Acme' });
    const ana = await realm.createUser({ username: 'ana', firstName: 'Ana', lastName: 'Lima' });
    const bob = await realm.createUser({ username: 'bob' });

    // Two tabs of one window: the one in front is brought there before it is used (Chromium
    // throttles the frames of a tab behind, which slows every wait for a stable element).
    const feed = await browser.newPage();
    feed.setDefaultTimeout(10_000);
    await signIn(feed, server.adminKey);
    await feed.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(feed, `#/realms/${realm.id}/feed`);
    await feedListening(feed, realm);

    // The script: ana logs in on three devices and watches her laptop's session.
    const laptop = await loginFrom(ana, 'chromeMac');
    const phone = await loginFrom(ana, 'safariIphone');
    await loginFrom(ana, 'firefoxWindows');
    ok(await server.gql(RefreshDocument, { refreshToken: phone.refreshToken! }));
    const ws = openWs(server.wsUrl, laptop.accessToken);
    const watch = ws.subscribe('subscription { sessionTerminated { sessionId reason } }');
    await ws.connected();

    // The admin finds ana and her sessions, the way an admin would.
    await page.bringToFront();
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}`);
    await page.getByRole('heading', { name: 'Acme', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('searchbox', { name: 'Search users' }).fill('ana');
    await page.getByRole('link', { name: 'ana', exact: true }).click();
    await page.getByRole('heading', { name: 'ana', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Sessions' }).last().click();
    await page.getByRole('heading', { name: 'Sessions of ana' }).waitFor();
    const row = page.locator('tr', { has: page.getByRole('button', { name: `Terminate session ${laptop.session!.id}` }) });
    for (const text of [CLIENTS.chromeMac.ip, 'Chrome 126 on macOS', 'web', 'active']) await row.getByText(text, { exact: true }).waitFor();

    await row.getByRole('button', { name: `Terminate session ${laptop.session!.id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Terminate session' }).click();
    await page.getByText(`Session ${laptop.session!.id} terminated.`).waitFor();

    expect((await watch.result(0)).data!.sessionTerminated).toEqual({ sessionId: laptop.session!.id, reason: 'TERMINATED_BY_ADMIN' });
    await watch.ended();
    await ws.dispose();
    await feed.locator('li.event.terminated', { hasText: laptop.session!.id }).getByText('TERMINATED_BY_ADMIN').waitFor();
    await page.locator('tr', { hasText: CLIENTS.chromeMac.ip }).getByText('TERMINATED_BY_ADMIN').waitFor();
    expect(await activeSessions(realm, ana.id)).not.toContain(laptop.session!.id);

    // One more reason for the counts: bob's password is changed while he is logged in.
    await loginFrom(bob, 'safariIphone');
    ok(await server.gql('mutation ($id: ID!) { setPassword(userId: $id, password: "a new long password") { id } }', { id: bob.id }, server.adminKey));
    await feed.locator('li.event.terminated').getByText('PASSWORD_CHANGED').waitFor();
    const count = (reason: string) => feed.locator('dl[aria-label="Terminations by reason"] dt', { hasText: reason }).locator('xpath=following-sibling::dd[1]');
    expect(await count('TERMINATED_BY_ADMIN').textContent()).toBe('1');
    expect(await count('PASSWORD_CHANGED').textContent()).toBe('1');

    await shot(page, 'console-sessions', 'Sessions · Acme · Tessera console', { readme: true });
    await feed.bringToFront();
    await shot(feed, 'console-live-feed', 'Live feed · Acme · Tessera console', { readme: true });

    // At a phone's width the pages fit the screen (tables read as cards).
    for (const target of [page, feed]) {
      await target.setViewportSize({ width: 390, height: 844 });
      expect(await target.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    }
    await shot(page, 'console-sessions-phone', 'Sessions · Acme · Tessera console');
    await page.setViewportSize({ width: 1280, height: 800 });
    await feed.close();
  });

  it('the live feed keeps a bounded list while it counts every event', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/feed`);
    await feedListening(page, realm);
    // 200 refreshes, four sessions' chains at a time.
    const chains = await Promise.all((['chromeMac', 'safariIphone', 'firefoxWindows', 'chromeMac'] as const).map((client) => loginFrom(user, client)));
    await Promise.all(
      chains.map(async (login) => {
        let refreshToken = login.refreshToken!;
        for (let i = 0; i < 50; i++) refreshToken = ok(await server.gql(RefreshDocument, { refreshToken })).refresh.refreshToken!;
      }),
    );
    const refreshed = page.locator('dl[aria-label="Events by type"] dt', { hasText: 'REFRESHED' }).locator('xpath=following-sibling::dd[1]');
    await eventually(async () => (await refreshed.textContent()) === '200', 10_000, '200 refreshes counted');
    expect(await page.locator('ol.feed > li').count()).toBe(200);
  });

  it('the live feed reconnects by itself when its connection drops, and resumes: what happened meanwhile is shown, no gap', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const upgraded = new Set<Duplex>();
    const record = (_request: unknown, socket: Duplex) => upgraded.add(socket);
    server.app.server.on('upgrade', record);
    try {
      await signIn(page, server.adminKey);
      await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
      await open(page, `#/realms/${realm.id}/feed`);
      await feedListening(page, realm);
      for (const socket of upgraded) socket.destroy();
      await page
        .getByRole('status')
        .filter({ hasText: /^Reconnecting in \d+ s/ })
        .waitFor();
      // While the page is away: a login it must still show once it is back.
      const missed = await loginFrom(user, 'chromeMac');
      await page
        .getByRole('status')
        .filter({ hasText: /^Live$/ })
        .waitFor();
      await page.locator('li.event.created', { hasText: missed.session!.id }).waitFor();
      expect(await page.locator('li.event.created', { hasText: missed.session!.id }).count()).toBe(1);
      expect(await page.locator('ol.feed li.gap').count()).toBe(0);
      // Live again: new events arrive.
      await feedListening(page, realm, user);
      const login = await loginFrom(user, 'chromeMac');
      await page.locator('li.event.created', { hasText: login.session!.id }).waitFor();
    } finally {
      server.app.server.off('upgrade', record);
    }
  });

  it('terminate all but one keeps the session the admin picks; terminate all ends the rest', async () => {
    const realm = await seedRealm(server);
    const dave = await realm.createUser({ username: 'dave' });
    const kept = await loginFrom(dave, 'firefoxWindows');
    await loginFrom(dave, 'chromeMac');
    await loginFrom(dave, 'safariIphone');

    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/sessions?user=${dave.id}`);
    await page.getByRole('heading', { name: 'Sessions of dave' }).waitFor();
    await page.getByRole('button', { name: 'Terminate all but one…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: new RegExp(kept.session!.id) }).check();
    await dialog.getByRole('button', { name: 'Terminate 2 other sessions' }).click();
    await page.getByText(`2 sessions terminated; session ${kept.session!.id} kept.`).waitFor();
    expect(await activeSessions(realm, dave.id)).toEqual([kept.session!.id]);

    await loginFrom(dave, 'chromeMac');
    await page.getByRole('button', { name: 'Terminate all', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Terminate all' }).click();
    await page.getByText('2 sessions terminated.').waitFor();
    expect(await activeSessions(realm, dave.id)).toEqual([]);
  });

  it('dialogs work from the keyboard: Escape cancels and gives the focus back, Enter confirms', async () => {
    const realm = await seedRealm(server);
    const erin = await realm.createUser({ username: 'erin' });
    const login = await loginFrom(erin, 'chromeMac');
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/sessions?user=${erin.id}`);
    const terminate = page.getByRole('button', { name: `Terminate session ${login.session!.id}` });
    await terminate.waitFor();
    await terminate.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    // The focused control shows it (focus-visible outline) when reached by keyboard.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await terminate.evaluate((button) => button === document.activeElement)).toBe(true);
    expect(await activeSessions(realm, erin.id)).toEqual([login.session!.id]);

    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Enter');
    await page.getByText(`Session ${login.session!.id} terminated.`).waitFor();
    expect(await activeSessions(realm, erin.id)).toEqual([]);
  });
});

describe('users', () => {
  it('create (field errors from the server), disable and enable, set a password', async () => {
    const realm = await seedRealm(server);
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/users`);
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('frank');
    await dialog.getByLabel('Password').fill('short');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog
      .locator('[data-field="password"] .field-error')
      .filter({ hasText: /password/i })
      .waitFor();
    await dialog.getByLabel('Password').fill('a long enough password');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'frank', level: 1 }).waitFor();
    const frankId = decodeURIComponent(page.url().split('/users/')[1]);
    const login = (password: string) =>
      server.gql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', { input: { realmId: realm.id, username: 'frank', password } });
    expect((await login('a long enough password')).errors).toBeUndefined();

    await page.getByRole('button', { name: 'Disable user' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable user' }).click();
    await page.getByText('frank is disabled.').waitFor();
    expect((await login('a long enough password')).errors?.[0].extensions?.code).toBe('INVALID_CREDENTIALS');
    await page.getByRole('button', { name: 'Enable user' }).click();
    await page.getByText('frank is enabled').waitFor();

    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('dialog').getByLabel('New password').fill('another long password');
    await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
    await page.getByText('The password of frank was changed.').waitFor();
    expect((await login('another long password')).errors).toBeUndefined();
    const { user } = ok(await server.gql('query ($id: ID!) { user(id: $id) { disabled } }', { id: frankId }, server.adminKey));
    expect(user.disabled).toBe(false);
  });

  it('API keys of an API user: created (shown once), then revoked', async () => {
    const realm = await seedRealm(server);
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/users`);
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Kind').selectOption('API');
    expect(await dialog.getByLabel('Password').isVisible()).toBe(false);
    await dialog.getByLabel('Username').fill('billing-job');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'billing-job', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create API key' }).click();
    const apiKey = (await page.getByRole('dialog').locator('code').textContent())!;
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    const loginWithKey = () => server.gql(LoginWithApiKeyDocument, { input: { realmId: realm.id, apiKey } });
    expect((await loginWithKey()).errors).toBeUndefined();

    const revoke = page.getByRole('button', { name: /^Revoke API key / });
    await revoke.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText(/API key \S+ revoked\./).waitFor();
    expect(await revoke.count()).toBe(0);
    expect((await loginWithKey()).errors?.[0].extensions?.code).toBe('INVALID_CREDENTIALS');
    // The key was shown once: nothing on the page holds it any more.
    expect(await page.getByText(apiKey).count()).toBe(0);
  });
});

describe('clients', () => {
  it("create (the server's field error, then fixed), the secret shown once and working, rotated, deleted", async () => {
    const realm = await seedRealm(server);
    const introspect = (clientId: string, secret: string) =>
      fetch(`${server.url}/realms/${realm.id}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: 'token=not-a-token',
      });
    await signIn(page, server.adminKey);
    await page.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
    await open(page, `#/realms/${realm.id}/clients`);
    await page.getByRole('button', { name: 'Create client' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Storefront');
    await dialog.getByLabel('Back-channel logout URL (optional)').fill('not a url');
    await dialog.getByRole('button', { name: 'Create client' }).click();
    const error = dialog.locator('[data-field="backchannelLogoutUri"] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/backchannelLogoutUri/);
    await dialog.getByLabel('Back-channel logout URL (optional)').fill('https://shop.example.com/logout');
    await dialog.getByRole('button', { name: 'Create client' }).click();
    const secret = (await page.getByRole('dialog').locator('code').textContent())!;
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await page.getByText('Client Storefront created.').waitFor();
    const { clients } = ok(await server.gql('query ($id: ID!) { clients(realmId: $id) { id name backchannelLogoutUri } }', { id: realm.id }, server.adminKey));
    expect(clients).toEqual([{ id: expect.any(String), name: 'Storefront', backchannelLogoutUri: 'https://shop.example.com/logout' }]);
    const clientId = clients[0].id;
    await page.getByRole('cell', { name: clientId }).waitFor();
    expect((await introspect(clientId, secret)).status).toBe(200);
    expect(await page.getByText(secret).count()).toBe(0);

    await page.getByRole('button', { name: 'Rotate the secret of Storefront' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByRole('dialog').locator('code').textContent())!;
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    expect(rotated).not.toBe(secret);
    expect((await introspect(clientId, rotated)).status).toBe(200);
    expect((await introspect(clientId, secret)).status).toBe(401);

    await page.getByRole('button', { name: 'Delete client Storefront' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete client' }).click();
    await page.getByText('Client Storefront deleted.').waitFor();
    await page.getByText('No clients yet.').waitFor();
    expect((await introspect(clientId, rotated)).status).toBe(401);
  });
});

describe('the page itself', () => {
  it('runs under its Content-Security-Policy: HTML cannot be written from strings, nothing loads from elsewhere', async () => {
    const response = await page.goto(`${server.url}/console`);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const outcome = await page.evaluate(() => {
      try {
        document.body.innerHTML = '<img src=x>';
        return 'written';
      } catch (error) {
        return (error as Error).name;
      }
    });
    expect(outcome).toBe('TypeError');
    // The refusal is reported on the console: the one problem this test expects.
    expect(browser.problems).toEqual([expect.stringContaining('TrustedHTML')]);
    browser.problems.length = 0;
    const hosts = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => new URL(entry.name).host));
    expect(new Set(hosts)).toEqual(new Set([new URL(server.url).host]));
  });
});
