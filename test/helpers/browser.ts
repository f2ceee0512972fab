import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** Debian's Chromium (installed by .ci/run), driven by playwright-core without a browser download. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab; what it logs as an error, and every uncaught exception, goes to `problems`. */
  newPage(): Promise<Page>;
  /** Console errors (CSP violations among them) and uncaught exceptions of every page so far. */
  readonly problems: string[];
}

/** One Chromium for the test file (a fresh profile in a temp directory), closed after it. */
export function useBrowser(): TestBrowser {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  const problems: string[] = [];
  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });
  return {
    get context() {
      if (!context) throw new Error('the browser is not started yet (use it inside a test or hook)');
      return context;
    },
    async newPage() {
      const page = await this.context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      return page;
    },
    problems,
  };
}
