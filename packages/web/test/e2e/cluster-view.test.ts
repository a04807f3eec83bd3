/**
 * A cluster in the console as its administrator sees it, everything through the relay with no
 * bridge: a namespace's pods (live), a pod's log streaming as lines are written, `echo hi` in
 * a terminal (exec over the WebSocket streaming protocol inside the tunnel), its YAML, the
 * namespace's events, and the role assignments page.
 */
import {appendFile} from 'node:fs/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import type {Browser, BrowserContext, Page} from 'playwright-core';

import {criLogLines} from '@porthole/testing';

import {launchChromium, newPage, screenshot, signInToConsole} from './browser.js';

const web = inject('web');
let browser: Browser;
let context: BrowserContext;
let page: Page;
let log: string[];

const podRoute = (tab: string) =>
  `${web.consoleUrl}#/clusters/${web.cluster}/namespaces/${web.namespace}/pods/${web.pod}/${tab}`;

beforeAll(async () => {
  browser = await launchChromium(web);
  ({context, page, console: log} = await newPage(browser));
  await signInToConsole(page, web, web.users.ops);
});

afterAll(async () => {
  await context.close();
  await browser.close();
});

/** Adds the page's console and failed requests to a failure's message. */
async function withPageLog(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new Error(`${String(error)}\npage log:\n${log.join('\n')}`, {cause: error});
  }
}

/**
 * What has the keyboard, looking through shadow roots: `terminal` inside xterm.js, else the
 * element's tag and text (`button Disconnect`, `body`).
 */
function deepFocus(): Promise<string> {
  return page.evaluate(() => {
    let focused = document.activeElement;
    while (focused?.shadowRoot?.activeElement) focused = focused.shadowRoot.activeElement;
    if (focused === null) return 'nothing';
    if (focused.closest('.xterm') !== null) return 'terminal';
    return focused === document.body
      ? 'body'
      : `${focused.localName} ${focused.textContent.trim()}`;
  });
}

describe('a cluster in the console', () => {
  it("opens the cluster from the list and shows a namespace's pods, live", () =>
    withPageLog(async () => {
      await page.getByRole('link', {name: web.cluster, exact: true}).click();
      await expect
        .poll(() => page.getByRole('heading', {level: 1}).textContent())
        .toContain(web.cluster);
      await page.getByLabel('Namespace').selectOption(web.namespace);
      await expect.poll(() => page.url()).toContain(`/namespaces/${web.namespace}/pods`);
      const row = page.getByRole('row', {name: new RegExp(`^${web.pod}\\b`)});
      await expect.poll(() => row.textContent(), {timeout: 20_000}).toContain('Running');
      expect(await row.textContent()).toMatch(/1\/1/);
      await expect.poll(() => page.getByText('Live', {exact: true}).count()).toBe(1);
      expect(await page.getByRole('columnheader').allTextContents()).toEqual(
        expect.arrayContaining(['Name', 'Status', 'Ready', 'Restarts', 'Age', 'Node']),
      );
      await screenshot(page, web, '03-pods');
    }));

  it("streams a pod's log as lines are written", () =>
    withPageLog(async () => {
      await page.getByRole('link', {name: web.pod, exact: true}).click();
      const logView = page.getByRole('log', {name: `Logs of pod ${web.pod}, container ${web.pod}`});
      await expect
        .poll(() => logView.textContent(), {timeout: 20_000})
        .toContain('web: listening on :8080');
      await expect
        .poll(() => page.getByRole('status').first().textContent())
        .toContain('Streaming');
      await appendFile(
        web.logsFile,
        criLogLines(['GET /healthz 200 (written after the stream opened)']),
      );
      await expect
        .poll(() => logView.textContent(), {timeout: 20_000})
        .toContain('GET /healthz 200 (written after the stream opened)');
      await screenshot(page, web, '04-logs');
    }));

  it('runs echo hi in a terminal in the pod and shows hi', () =>
    withPageLog(async () => {
      await page.getByRole('link', {name: 'Terminal', exact: true}).click();
      await expect
        .poll(() => page.getByRole('status').first().textContent(), {timeout: 20_000})
        .toContain(`Connected to ${web.pod}`);
      const screen = page.getByRole('group', {name: `Terminal in pod ${web.pod}`});
      await screen.click();
      await page.keyboard.type('echo hi\n');
      const rows = screen.locator('.xterm-rows > div');
      await expect
        .poll(async () => (await rows.allTextContents()).map((row) => row.trim()), {
          timeout: 20_000,
        })
        .toContain('hi');
      await screenshot(page, web, '05-terminal');
    }));

  it('keeps Tab for the shell, and Ctrl+M then Tab leaves the terminal sending nothing', () =>
    withPageLog(async () => {
      const screen = page.getByRole('group', {name: `Terminal in pod ${web.pod}`});
      const hint = page.locator('porthole-terminal .keys');
      await screen.click();
      // The pod's `sh` is dash, with no completion: Tab goes into the quoted word as a tab.
      await page.keyboard.type("echo 'one");
      await page.keyboard.press('Tab');
      expect(await deepFocus()).toBe('terminal');
      await page.keyboard.press('Control+M');
      await expect.poll(() => hint.textContent()).toContain('Tab moves focus');
      expect(await deepFocus()).toBe('terminal');
      await page.keyboard.press('Tab');
      expect(await deepFocus()).not.toBe('terminal');
      await screen.click();
      await page.keyboard.press('Shift+Tab');
      expect(await deepFocus()).toBe('button Disconnect');
      await screen.click();
      await page.keyboard.press('Control+M');
      await expect.poll(() => hint.textContent()).toContain('leaves the terminal');
      // One tab and no carriage return reached the shell: "one", one tab stop, "two".
      await page.keyboard.type("two'\n");
      const rows = screen.locator('.xterm-rows > div');
      await expect
        .poll(async () => (await rows.allTextContents()).map((row) => row.trimEnd()), {
          timeout: 20_000,
        })
        .toContain(`one${' '.repeat(5)}two`);
      expect((await rows.allTextContents()).join('\n')).not.toContain('not found');
    }));

  it("shows the pod's YAML", () =>
    withPageLog(async () => {
      await page.getByRole('link', {name: 'YAML', exact: true}).click();
      const yaml = page.getByLabel(`YAML of ${web.pod}`);
      await expect.poll(() => yaml.textContent(), {timeout: 20_000}).toContain('kind: Pod');
      const text = (await yaml.textContent()) ?? '';
      expect(text).toContain(`name: ${web.pod}`);
      expect(text).toContain(`namespace: ${web.namespace}`);
      expect(text).not.toContain('managedFields');
      await screenshot(page, web, '06-yaml');
    }));

  it("shows the namespace's events", () =>
    withPageLog(async () => {
      await page.goto(
        `${web.consoleUrl}#/clusters/${web.cluster}/namespaces/${web.namespace}/events`,
      );
      await expect
        .poll(
          async () =>
            (await page
              .getByRole('table', {name: `Events in namespace ${web.namespace}`})
              .count()) +
            (await page.getByText(`No events in namespace ${web.namespace} lately.`).count()),
          {timeout: 20_000},
        )
        .toBe(1);
      await screenshot(page, web, '07-events');
    }));

  it('keeps working after the sender token it started with has expired', () =>
    withPageLog(async () => {
      // The relay hands out 20 s sender tokens here; the console renews them before expiry.
      await new Promise((resolve) => setTimeout(resolve, 21_000));
      await page.goto(podRoute('yaml'));
      await page.reload();
      await expect
        .poll(() => page.getByLabel(`YAML of ${web.pod}`).textContent(), {timeout: 20_000})
        .toContain('kind: Pod');
    }));

  it('lists, adds and removes role assignments for an administrator', () =>
    withPageLog(async () => {
      await page.goto(`${web.consoleUrl}#/clusters/${web.cluster}/role-assignments`);
      const table = page.getByRole('table', {name: `Role assignments of ${web.cluster}`});
      await expect
        .poll(() => table.textContent(), {timeout: 20_000})
        .toContain(web.users.viewer.objectId);
      expect(await table.textContent()).toContain('Cluster Admin');
      const principal = '5eb0c0de-0000-4000-8000-0000000000ff';
      await page.getByLabel('Principal object id').fill(principal);
      await page.getByLabel('Role').selectOption('Writer');
      await page.getByLabel('Namespace').fill(web.namespace);
      await page.getByRole('button', {name: 'Add role assignment'}).click();
      const added = page.getByRole('row', {name: new RegExp(principal)});
      await expect.poll(() => added.textContent(), {timeout: 20_000}).toContain('Writer');
      expect(await added.textContent()).toContain(`Namespace ${web.namespace}`);
      await screenshot(page, web, '08-role-assignments');
      await page.getByRole('button', {name: `Remove Writer of ${principal}`}).click();
      await expect.poll(() => added.count(), {timeout: 20_000}).toBe(0);
    }));
});
