import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, useTestServer } from './helpers/server.js';
import { useBrowser } from './helpers/browser.js';
import { createAdminKey, seedRealm } from './helpers/factories.js';
import { startReceiver, type ReceivedRequest, type Receiver } from './helpers/receiver.js';

// The console's Webhooks page in a real Chromium against a real server, which POSTs to a real
// receiver on loopback (hence private targets allowed). Deliveries are made when the test drains
// them (test/helpers/server.ts: no test server polls on its own), then the page is refreshed.

const server = useTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
const browser = useBrowser();
let receiver: Receiver;
let page: Page;

/** Screenshots of each run (git-ignored); `npm run console:screenshots` also copies the README's. */
const OUTPUT_DIR = join('test-output', 'console');
const README_IMAGES = process.env.CONSOLE_SCREENSHOTS_DIR;

beforeAll(async () => {
  receiver = await startReceiver();
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
});
afterAll(() => receiver?.close());

afterEach(() => {
  // No console error, CSP violation or uncaught exception in any page, whatever the test did.
  expect(browser.problems).toEqual([]);
});

async function signIn(target: Page, key: string) {
  await target.goto(`${server.url}/console`);
  const form = target.getByLabel('Admin key');
  const signOut = target.getByRole('button', { name: 'Sign out' });
  await form.or(signOut).waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await form.fill(key);
  await target.getByRole('button', { name: 'Sign in' }).click();
  await target.getByRole('heading', { name: 'Realms', level: 1 }).waitFor();
}

const requestsTo = (path: string) => receiver.requests.filter((request) => request.path === path);
const verify = (secret: string, request: ReceivedRequest) => new Webhook(secret).verify(request.body, request.headers as Record<string, string>);

async function secretOfDialog(target: Page) {
  const secret = (await target.getByRole('dialog').locator('code').textContent())!;
  await target.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  await target.getByRole('dialog').waitFor({ state: 'detached' });
  return secret;
}

async function shot(target: Page, name: string, { readme = false } = {}) {
  await mkdir(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await target.screenshot({ path, fullPage: true });
  if (readme && README_IMAGES) {
    await mkdir(README_IMAGES, { recursive: true });
    await copyFile(path, join(README_IMAGES, `${name}.png`));
  }
}

describe('webhooks', () => {
  it("create (the server's field errors at their fields), the secret shown once verifies a delivery, redeliver, edit, rotate, delete", async () => {
    const realm = await seedRealm(server, { name: 'Hooks' });
    const user = await realm.createUser();
    const path = '/tessera-hook';
    const url = `${receiver.url}${path}`;

    await signIn(page, server.adminKey);
    await page.evaluate((hash) => (location.hash = hash), `#/realms/${realm.id}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhook endpoints yet.').waitFor();
    // The title names the realm once its name has been fetched.
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('Webhooks · Hooks · Tessera console');

    // The server's refusals, each at its field: a URL that is not one, then no event type.
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const dialog = page.getByRole('dialog');
    const urlField = dialog.getByLabel('URL', { exact: true });
    await urlField.fill('not a url');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    const urlError = dialog.locator('[data-field="url"] .field-error');
    await urlError.filter({ hasText: /^url / }).waitFor();
    expect(await urlField.getAttribute('aria-invalid')).toBe('true');
    expect(await urlField.evaluate((input) => input === document.activeElement)).toBe(true);

    await urlField.fill(url);
    for (const type of ['Session created', 'Session refreshed', 'Session terminated']) await dialog.getByLabel(type).uncheck();
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    await dialog.locator('[data-field="eventTypes"] .field-error').filter({ hasText: 'eventTypes must name at least one event type' }).waitFor();
    expect(await urlError.isHidden()).toBe(true);

    await dialog.getByLabel('Session terminated').check();
    await dialog.getByLabel('Description (optional)').fill('billing');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = await secretOfDialog(page);
    expect(secret).toMatch(/^whsec_/);
    await page.getByText('Endpoint billing created.').waitFor();
    const row = page.locator('tr', { hasText: url });
    for (const text of ['Session terminated', 'enabled']) await row.getByText(text, { exact: true }).waitFor();
    const { webhookEndpoints } = ok(
      await server.gql('query ($r: ID!) { webhookEndpoints(realmId: $r) { id url eventTypes description enabled } }', { r: realm.id }, server.adminKey),
    );
    expect(webhookEndpoints).toEqual([{ id: expect.any(String), url, eventTypes: ['SESSION_TERMINATED'], description: 'billing', enabled: true }]);
    const endpointId = webhookEndpoints[0].id;
    await shot(page, 'console-webhooks');
    // Shown once: nothing on the page holds it any more.
    await expect.poll(() => page.getByText(secret).count(), { timeout: 2_000 }).toBe(0);

    // A session ends; its event reaches the receiver, signed with that secret.
    const login = await user.login();
    ok(await server.gql('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: login.session!.id }, server.adminKey));
    await server.app.deliveries.drain();
    expect(requestsTo(path)).toHaveLength(1);
    const payload = verify(secret, requestsTo(path)[0]) as { type: string; data: { sessionId: string; reason: string } };
    expect(payload).toMatchObject({ type: 'session.terminated', data: { sessionId: login.session!.id, reason: 'TERMINATED_BY_ADMIN' } });
    const eventId = requestsTo(path)[0].headers['webhook-id'] as string;

    await row.getByRole('link', { name: 'Deliveries of billing' }).click();
    await page.getByRole('heading', { name: 'Webhook deliveries', level: 1 }).waitFor();
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('Deliveries · Hooks · Tessera console');
    const delivery = page.locator('tr', { hasText: eventId });
    await delivery.getByText('delivered', { exact: true }).waitFor();
    expect(await delivery.locator('td[data-label="Attempts"]').textContent()).toBe('1');
    expect(await delivery.locator('td[data-label="Last response"]').textContent()).toBe('200');

    // Redeliver: due again at once, sent again with the same webhook-id.
    await delivery.getByRole('button', { name: `Redeliver event ${eventId}` }).click();
    await page.getByText(`Delivery of event ${eventId} queued again.`).waitFor();
    await delivery.getByText('pending', { exact: true }).waitFor();
    await server.app.deliveries.drain();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await delivery.getByText('delivered', { exact: true }).waitFor();
    expect(await delivery.locator('td[data-label="Attempts"]').textContent()).toBe('2');
    expect(requestsTo(path).map((request) => request.headers['webhook-id'])).toEqual([eventId, eventId]);
    await shot(page, 'console-webhook-deliveries', { readme: true });

    // Edit: disabled, and its description removed.
    await page.getByRole('link', { name: 'All endpoints' }).click();
    await page.getByRole('button', { name: 'Edit endpoint billing' }).click();
    expect(await page.getByRole('dialog').getByLabel('Enabled').isChecked()).toBe(true);
    await page.getByRole('dialog').getByLabel('Description (optional)').fill('');
    await page.getByRole('dialog').getByLabel('Enabled').uncheck();
    await page.getByRole('dialog').getByLabel('Session created').check();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Endpoint ${url} saved.`).waitFor();
    await row.getByText('disabled', { exact: true }).waitFor();
    const { webhookEndpoint: edited } = ok(
      await server.gql('query ($id: ID!) { webhookEndpoint(id: $id) { eventTypes description enabled } }', { id: endpointId }, server.adminKey),
    );
    expect(edited).toEqual({ eventTypes: ['SESSION_CREATED', 'SESSION_TERMINATED'], description: null, enabled: false });

    // Rotate: the new secret, shown once, signs what is sent from now on.
    await page.getByRole('button', { name: `Rotate the secret of ${url}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = await secretOfDialog(page);
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    // The closed dialog leaves the DOM a moment after it stops being a dialog (secretOfDialog waits
    // for the latter): the secret must be gone from the page, not only hidden.
    await expect.poll(() => page.getByText(rotated).count(), { timeout: 2_000 }).toBe(0);
    ok(
      await server.gql(
        'mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { id } }',
        {
          id: endpointId,
          input: { enabled: true },
        },
        server.adminKey,
      ),
    );
    await user.login();
    await server.app.deliveries.drain();
    expect(requestsTo(path)).toHaveLength(3);
    expect(verify(rotated, requestsTo(path)[2])).toMatchObject({ type: 'session.created' });

    // Delete, after a confirmation.
    await page.getByRole('button', { name: `Delete endpoint ${url}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText(`Endpoint ${url} deleted.`).waitFor();
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect(ok(await server.gql('query ($r: ID!) { webhookEndpoints(realmId: $r) { id } }', { r: realm.id }, server.adminKey)).webhookEndpoints).toEqual([]);
  });
});

describe('webhooks for a key that may only read the realm', () => {
  it('lists the endpoints and their deliveries, and offers no change', async () => {
    const realm = await seedRealm(server);
    const url = `${receiver.url}/read-only`;
    ok(
      await server.gql(
        'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
        { input: { realmId: realm.id, url, eventTypes: ['SESSION_CREATED'] } },
        server.adminKey,
      ),
    );
    await (await realm.createUser()).login();
    await server.app.deliveries.drain();
    const eventId = requestsTo('/read-only')[0].headers['webhook-id'] as string;
    const reader = await createAdminKey(server, { realmId: realm.id, scopes: ['REALMS_READ'] });

    await signIn(page, reader);
    await page.evaluate((hash) => (location.hash = hash), `#/realms/${realm.id}/webhooks`);
    const row = page.locator('tr', { hasText: url });
    await row.getByText('Session created', { exact: true }).waitFor();
    for (const name of ['Create endpoint', `Edit endpoint ${url}`, `Rotate the secret of ${url}`, `Delete endpoint ${url}`]) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await row.getByRole('link', { name: `Deliveries of ${url}` }).click();
    const delivery = page.locator('tr', { hasText: eventId });
    await delivery.getByText('delivered', { exact: true }).waitFor();
    expect(await delivery.getByRole('button', { name: /Redeliver/ }).count()).toBe(0);
  });
});
