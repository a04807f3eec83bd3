/**
 * The custom elements without the console: the example portal page (`portal.html`) loads the
 * one-file script-tag bundle (`porthole-components.js`), signs in with a pop-up through
 * <porthole-sign-in>, lists clusters, shows a cluster's pods, a pod's logs and a terminal,
 * wired only by the elements' events, and themes them through custom properties.
 */
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import type {Browser, BrowserContext, Page} from 'playwright-core';

import type {PortholePodTableElement} from '../../src/index.js';
import {fillSignInForm, launchChromium, newPage, screenshot} from './browser.js';

const web = inject('web');
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium(web);
  ({context, page} = await newPage(browser));
});

afterAll(async () => {
  await context.close();
  await browser.close();
});

describe('the example portal page', () => {
  it('defines every element from the one-file bundle', async () => {
    await page.goto(`${web.consoleUrl}portal.html`);
    const scripts = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => path.endsWith('.js')),
    );
    expect(scripts).toContain('/console/porthole-components.js');
    // Besides the bundle, only the page's own wiring script: none of the console's chunks.
    expect(scripts.filter((path) => path !== '/console/porthole-components.js')).toEqual([
      expect.stringMatching(/^\/console\/assets\/portal-[\w-]+\.js$/),
    ]);
    const defined = await page.evaluate(() =>
      [
        'porthole-sign-in',
        'porthole-cluster-list',
        'porthole-pod-table',
        'porthole-logs',
        'porthole-terminal',
      ].map((name) => customElements.get(name) !== undefined),
    );
    expect(defined).toEqual([true, true, true, true, true]);
  });

  it('signs in with a pop-up through <porthole-sign-in>', async () => {
    const signIn = page.locator('porthole-sign-in');
    const signedIn = page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener(
            'porthole-signed-in',
            (event) => {
              resolve(event.detail.account.username);
            },
            {once: true},
          );
        }),
    );
    const popup = page.waitForEvent('popup');
    await signIn.getByRole('button', {name: 'Sign in'}).click();
    await fillSignInForm(await popup, web, web.users.ops);
    expect(await signedIn).toBe(web.users.ops.upn);
    await expect.poll(() => signIn.getByText(web.users.ops.displayName).count()).toBe(1);
    expect(await signIn.getByRole('button', {name: 'Sign out'}).count()).toBe(1);
  });

  it("shows the clusters, a cluster's pods, and a pod's logs and terminal", async () => {
    const clusters = page.locator('porthole-cluster-list');
    const row = clusters.getByRole('row', {name: new RegExp(`^${web.cluster}\\b`)});
    await expect.poll(() => row.innerText(), {timeout: 20_000}).toContain('Connected');
    await clusters.getByRole('button', {name: web.cluster, exact: true}).click();
    const pods = page.locator('porthole-pod-table');
    await expect.poll(() => page.locator('#pods-where').innerText()).toBe(`in ${web.cluster}`);
    // The page shows namespace "default"; a property switches it, as a portal's own picker would.
    await pods.evaluate((table, namespace) => {
      (table as PortholePodTableElement).namespace = namespace;
    }, web.namespace);
    const podRow = pods.getByRole('row', {name: new RegExp(`^${web.pod}\\b`)});
    await expect.poll(() => podRow.innerText(), {timeout: 20_000}).toContain('Running');
    await pods.getByRole('button', {name: web.pod, exact: true}).click();
    const logs = page.locator('porthole-logs').getByRole('log');
    await expect
      .poll(() => logs.innerText(), {timeout: 20_000})
      .toContain('web: listening on :8080');
    const terminal = page.locator('porthole-terminal');
    await expect
      .poll(() => terminal.getByRole('status').innerText(), {timeout: 20_000})
      .toContain(`Connected to ${web.pod}`);
    await terminal.getByRole('group', {name: `Terminal in pod ${web.pod}`}).click();
    await page.keyboard.type('echo from-the-portal\n');
    await expect
      .poll(async () =>
        (await terminal.locator('.xterm-rows > div').allTextContents()).map((line) => line.trim()),
      )
      .toContain('from-the-portal');
    await screenshot(page, web, '12-portal');
  });

  it('themes the elements through custom properties', async () => {
    const accent = await page
      .locator('porthole-sign-in')
      .getByRole('button', {name: 'Sign out'})
      .evaluate((button) => getComputedStyle(button).outlineColor);
    expect(accent).toBeTruthy();
    const primary = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--porthole-color-accent').trim(),
    );
    expect(primary).toBe('#6d28d9');
  });
});
