/**
 * Signing in to the console through the embedded identity provider's own login page, with the
 * redirect flow (MSAL v5's redirect bridge page) and with a pop-up, then the clusters page as
 * the user sees it: the connected cluster, live.
 */
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import type {Browser} from 'playwright-core';

import {fillSignInForm, launchChromium, newPage, screenshot, signInToConsole} from './browser.js';

const web = inject('web');
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium(web);
});

afterAll(async () => {
  await browser.close();
});

describe('console sign-in', () => {
  it('signs in through the provider login page (redirect) and shows the cluster Connected', async () => {
    const {context, page, console} = await newPage(browser);
    try {
      await page.goto(web.consoleUrl);
      await expect
        .poll(() => page.getByRole('heading', {name: 'Sign in to Porthole'}).count())
        .toBe(1);
      await screenshot(page, web, '01-sign-in');
      await signInToConsole(page, web, web.users.ops);
      await expect
        .poll(() => page.getByRole('heading', {name: 'Clusters', level: 1}).count())
        .toBe(1);
      const row = page.getByRole('row', {name: new RegExp(`^${web.cluster}\\b`)});
      await expect.poll(() => row.textContent(), {timeout: 20_000}).toContain('Connected');
      expect(await row.textContent()).toMatch(/v1\.\d+\.\d+/);
      await expect
        .poll(() => page.getByRole('columnheader').allTextContents())
        .toEqual(
          expect.arrayContaining(['Name', 'Status', 'Agent', 'Kubernetes', 'Nodes', 'Last seen']),
        );
      await screenshot(page, web, '02-clusters');
    } catch (error) {
      throw new Error(`${String(error)}\n${console.join('\n')}`, {cause: error});
    } finally {
      await context.close();
    }
  });

  it('signs in with a pop-up, and signs out from the account menu', async () => {
    const {context, page} = await newPage(browser);
    try {
      await page.goto(web.consoleUrl);
      const popup = page.waitForEvent('popup');
      await page.getByRole('button', {name: 'Sign in with a pop-up'}).click();
      await fillSignInForm(await popup, web, web.users.viewer);
      const menu = page.getByRole('button', {name: `Account: ${web.users.viewer.displayName}`});
      await menu.waitFor({timeout: 20_000});
      await menu.press('ArrowDown');
      const signOut = page.getByRole('menuitem', {name: 'Sign out'});
      await expect
        .poll(() => page.getByRole('menu', {name: 'Account'}).innerText())
        .toContain(web.users.viewer.upn);
      await screenshot(page, web, '13-account-menu');
      await signOut.press('Enter');
      await expect
        .poll(() => page.getByRole('heading', {name: 'Sign in to Porthole'}).count())
        .toBe(1);
      // Signed out: the next sign-in asks for credentials again.
      await page.getByRole('button', {name: 'Sign in', exact: true}).click();
      await page.waitForURL((url) => url.origin === web.identityOrigin);
      expect(await page.getByLabel('User name or UPN').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
