/**
 * "Connect cluster" in the console: it shows the porthole commands for the name typed, then
 * waits while the CLI registers the cluster and its agent connects, and says Connected; then
 * the cluster is deleted from the console after confirmation.
 */
import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import type {Browser, BrowserContext, Page} from 'playwright-core';
import {parseAllDocuments} from 'yaml';

import type {LineProcess} from '@porthole/testing';

import {launchChromium, newPage, screenshot, signInToConsole} from './browser.js';
import {startAgent} from './global-setup.js';
import {runPorthole} from './porthole-command.js';

const web = inject('web');
const EDGE = 'edge-7';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let agent: LineProcess | undefined;

beforeAll(async () => {
  browser = await launchChromium(web);
  ({context, page} = await newPage(browser));
  await signInToConsole(page, web, web.users.ops);
});

afterAll(async () => {
  await agent?.stop();
  await runPorthole(['delete', '-n', EDGE, '--yes'], web.cliEnv);
  await context.close();
  await browser.close();
});

/** `porthole connect -n NAME` without --apply: the manifest, and in it the agent's Secret. */
async function registerWithCli(
  name: string,
): Promise<{relay: string; cluster: string; key: string}> {
  const connected = await runPorthole(['connect', '-n', name], web.cliEnv);
  expect(connected, connected.stderr).toMatchObject({code: 0});
  const secret = parseAllDocuments(connected.stdout)
    .map((document) => document.toJS() as {kind?: string; stringData?: Record<string, string>})
    .find((object) => object.kind === 'Secret');
  const {relay = '', cluster = '', key = ''} = secret?.stringData ?? {};
  return {relay, cluster, key};
}

describe('Connect cluster', () => {
  it('shows the commands, waits for the agent, and says Connected', async () => {
    await page.getByRole('button', {name: 'Connect cluster'}).click();
    const dialog = page.getByRole('dialog', {name: 'Connect a cluster'});
    await dialog.getByLabel('Cluster name').fill('-bad');
    expect(await dialog.getByRole('button', {name: 'Continue'}).isDisabled()).toBe(true);
    await dialog.getByLabel('Cluster name').fill(EDGE);
    await dialog.getByRole('button', {name: 'Continue'}).click();
    expect(await dialog.innerText()).toContain(`porthole connect -n ${EDGE} --apply`);
    expect(await dialog.innerText()).toContain(`porthole login --relay ${web.relayUrl}`);
    const waiting = dialog.getByRole('status');
    await expect.poll(() => waiting.innerText()).toContain(`Waiting for ${EDGE} to be registered`);

    const credential = await registerWithCli(EDGE);
    await expect
      .poll(() => waiting.innerText(), {timeout: 20_000})
      .toContain('Registered; waiting for its agent to connect');
    // The agent runs beside demo's, with the same service account: one kube cluster, two names.
    const dir = join(web.scratch, EDGE);
    await mkdir(dir, {recursive: true});
    agent = await startAgent({
      ...credential,
      kubeconfigPath: web.agentKubeconfig,
      dir,
      cliEnv: web.cliEnv,
    });
    await expect
      .poll(() => waiting.innerText(), {timeout: 30_000})
      .toContain(`The agent of ${EDGE} is connected`);
    await screenshot(page, web, '10-connect-cluster');
    await dialog.getByRole('button', {name: 'Close'}).click();
    const row = page.getByRole('row', {name: new RegExp(`^${EDGE}\\b`)});
    await expect.poll(() => row.innerText(), {timeout: 20_000}).toContain('Connected');
  });

  it('deletes a cluster after confirmation', async () => {
    await page.getByRole('button', {name: `Delete cluster ${EDGE}`}).click();
    const dialog = page.getByRole('dialog', {name: `Delete cluster ${EDGE}?`});
    expect(await dialog.innerText()).toContain(`porthole delete -n ${EDGE}`);
    await screenshot(page, web, '11-delete-cluster');
    await dialog.getByRole('button', {name: 'Delete cluster'}).click();
    await expect
      .poll(() => page.getByRole('row', {name: new RegExp(`^${EDGE}\\b`)}).count(), {
        timeout: 20_000,
      })
      .toBe(0);
    expect(await page.getByRole('row', {name: new RegExp(`^${web.cluster}\\b`)}).count()).toBe(1);
  });
});
