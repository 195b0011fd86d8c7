import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILY_CASES } from '../helpers/families.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';
const available = existsSync(CHROMIUM);
/** Where to keep the screenshot; `HEO_DOCS_SCREENSHOT=docs/images/docs-page.png` refreshes the README's. */
const SCREENSHOT = process.env.HEO_DOCS_SCREENSHOT;

/** The heading each family has on the page. */
const TAGS = { vps: 'VPS power', game: 'Game server power' } as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The docs page in Debian's Chromium, against a real server on loopback. Locally without Chromium
 * the suite is skipped; in CI (`CI=true`) a missing Chromium fails it.
 */
describe.runIf(available || IN_CI)('the docs page in a real browser', () => {
  const profile = tempDir('heo-power-chromium-');
  const shots = tempDir('heo-power-shots-');
  let service: TestService | undefined;
  let origin: string;
  let browser: BrowserContext | undefined;
  const requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: CI installs it with apt-get`);
    service = await startWithCustomers();
    origin = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    context.on('request', (request) => requested.push(request.url()));
    browser = context;
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    profile.remove();
    shots.remove();
  });

  it('shows both endpoint families from the server alone, and takes a screenshot', async () => {
    if (browser === undefined) throw new Error('no browser');
    const page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' });

    for (const family of FAMILY_CASES) {
      const section = page.locator('.opblock-tag-section', {
        has: page.locator('h3.opblock-tag', { hasText: TAGS[family.name] }),
      });
      await section.locator('.opblock-post').first().waitFor();
      expect(await section.locator('.opblock-post .opblock-summary-path').allInnerTexts()).toEqual(
        family.actions.map((action) => `${family.base}/{${family.param}}/${action}`),
      );
    }
    await expect.poll(() => page.getByText('Authorize', { exact: true }).count()).toBe(1);

    // The screenshot shows the endpoint lists, from the Authorize bar down.
    await page.locator('.scheme-container').waitFor();
    // A string, evaluated in the page: the project has no DOM types.
    await page.evaluate("document.querySelector('.scheme-container').scrollIntoView()");
    const file = SCREENSHOT ?? shots.file('docs-page.png');
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    expect(readFileSync(file).subarray(0, 8)).toEqual(PNG_SIGNATURE);

    expect(problems).toEqual([]);
    expect(requested.length).toBeGreaterThan(3);
    const elsewhere = requested.filter(
      (url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'),
    );
    expect(elsewhere).toEqual([]);
  });

  it('sends no confirmation, no request id and no placeholder body unless the user enters them', async () => {
    if (browser === undefined) throw new Error('no browser');
    const page = await browser.newPage();
    await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' });
    // The confirmed actions, and one that takes no confirmation (its body is no placeholder).
    for (const family of FAMILY_CASES) {
      for (const action of family.actions.filter((a) => a === family.confirm || a === 'start')) {
        // "Try it out", then "Execute", as a user would without typing anything.
        const path = `${family.base}/{${family.param}}/${action}`;
        const operation = page.locator('.opblock-post', {
          has: page.locator('.opblock-summary-path', {
            hasText: new RegExp(`^${path.replace(/[{}]/g, '\\$&')}$`),
          }),
        });
        await operation.locator('.opblock-summary').first().click();
        await operation.getByRole('button', { name: 'Try it out' }).click();
        const sending = page.waitForRequest((request) =>
          request.url().startsWith(`${origin}${family.base}/`),
        );
        await operation.getByRole('button', { name: 'Execute' }).click();
        const request = await sending;
        const sent = {
          action,
          url: request.url(),
          body: request.postData(),
          requestId: (await request.allHeaders())['x-request-id'],
        };
        expect(sent).toEqual({
          action,
          url: `${origin}${family.base}/${family.own}/${action}`,
          body: '{}',
          requestId: undefined,
        });
        const curl = await operation.locator('.curl-command').first().innerText();
        expect(curl).not.toMatch(/force|"string"|X-Request-Id/i);
      }
    }
    await page.close();
  }, 60_000);

  it('keeps the page to its own origin with a content security policy', async () => {
    const res = await fetch(`${origin}/docs`);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'self'");
    expect(policy).not.toMatch(/https:|http:|upgrade-insecure-requests|swagger\.io/);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
