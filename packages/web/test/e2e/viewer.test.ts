/**
 * A user with the Viewer role on the cluster: the agent lets them read, and refuses what the
 * role does not give with a 403 that names the missing permission — which the console shows
 * as such, for exec and for the control plane's administrator-only pages and actions.
 */
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import type {Browser, BrowserContext, Page} from 'playwright-core';

import {launchChromium, newPage, screenshot, signInToConsole} from './browser.js';

const web = inject('web');
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium(web);
  ({context, page} = await newPage(browser));
  await signInToConsole(page, web, web.users.viewer);
});

afterAll(async () => {
  await context.close();
  await browser.close();
});

describe('a Viewer in the console', () => {
  it('reads the pods', async () => {
    await page.goto(`${web.consoleUrl}#/clusters/${web.cluster}/namespaces/${web.namespace}/pods`);
    const row = page.getByRole('row', {name: new RegExp(`^${web.pod}\\b`)});
    await expect.poll(() => row.innerText(), {timeout: 20_000}).toContain('Running');
  });

  it('is told that exec needs a permission it lacks, naming it', async () => {
    await page.goto(
      `${web.consoleUrl}#/clusters/${web.cluster}/namespaces/${web.namespace}/pods/${web.pod}/terminal`,
    );
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.innerText(), {timeout: 20_000})
      .toContain('Opening a terminal is not allowed');
    const text = await alert.innerText();
    expect(text).toContain(
      'Missing permission: Microsoft.Kubernetes/connectedClusters/pods/exec/action',
    );
    expect(text).toContain(
      `no Porthole role assignment gives ${web.users.viewer.objectId} Microsoft.Kubernetes/connectedClusters/pods/exec/action`,
    );
    await expect.poll(() => page.getByRole('status').first().innerText()).toContain('Failed');
    await screenshot(page, web, '09-viewer-exec-denied');
  });

  it("is told which role the cluster's role assignments need", async () => {
    await page.goto(`${web.consoleUrl}#/clusters/${web.cluster}/role-assignments`);
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.innerText(), {timeout: 20_000})
      .toContain('Listing role assignments is not allowed');
    expect(await alert.innerText()).toContain('needs the Cluster Admin role on it');
    expect(await alert.innerText()).toContain('ERR_CONTROL_FORBIDDEN');
  });

  it('cannot delete the cluster, and is told why in the confirmation dialog', async () => {
    await page.goto(web.consoleUrl);
    await page.getByRole('button', {name: `Delete cluster ${web.cluster}`}).click();
    const dialog = page.getByRole('dialog', {name: `Delete cluster ${web.cluster}?`});
    await dialog.getByRole('button', {name: 'Delete cluster'}).click();
    await expect
      .poll(() => dialog.getByRole('alert').innerText(), {timeout: 20_000})
      .toContain('needs the relay Administrator role');
    await dialog.getByRole('button', {name: 'Cancel'}).click();
    expect(await page.getByRole('row', {name: new RegExp(`^${web.cluster}\\b`)}).count()).toBe(1);
  });
});
