/**
 * The console served by the local bridge (`porthole console`) and "Use from kubectl": one
 * click hands the signed-in user's session for a cluster to the bridge, and the machine's real
 * kubectl then reaches the cluster as that user — while the page renews the hand-over, and
 * with a clear refusal once it has run out after the page closed.
 */
import {mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import {chromium} from 'playwright-core';
import type {Browser, BrowserContext, Page} from 'playwright-core';

import {freePort, kubectl} from '@porthole/testing';

import {CHROMIUM, fillSignInForm, newPage, screenshot, signInToConsole} from './browser.js';
import {runPorthole} from './porthole-command.js';

const web = inject('web');
let home: string;
let env: Record<string, string>;
let port: number;
let consoleUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let log: string[];
/** The kubeconfig the console's kubectl line names. */
let kubeconfig: string;

/** kubectl on the context the console handed over. */
function handedKubectl(args: string[]) {
  return kubectl(kubeconfig, ['--context', `porthole-${web.cluster}`, ...args]);
}

beforeAll(async () => {
  home = join(web.scratch, 'bridge-home');
  await mkdir(home, {recursive: true});
  // BROWSER=none: the test opens the page itself, from the address the command prints.
  env = {...web.cliEnv, PORTHOLE_HOME: home, BROWSER: 'none'};
  port = await freePort();
  const opened = await runPorthole(
    ['console', '--relay', web.relayUrl, '--port', String(port)],
    env,
  );
  if (opened.code !== 0) throw new Error(`porthole console failed: ${opened.stderr}`);
  const address = /Open this address in your browser; it is yours alone: (\S+)/.exec(
    opened.stdout,
  )?.[1];
  if (address === undefined) throw new Error(`no address in: ${opened.stdout}`);
  consoleUrl = address;
  // The browser trusts the bridge as a user's would after `porthole trust`: its CA in the NSS
  // database of this HOME. (The identity provider's throwaway CA is trusted by its key alone.)
  const trusted = await runPorthole(['trust'], {...env, HOME: home});
  if (trusted.code !== 0) throw new Error(`porthole trust failed: ${trusted.stderr}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: {...process.env, HOME: home},
    args: [`--ignore-certificate-errors-spki-list=${web.identitySpki}`],
  });
  ({context, page, console: log} = await newPage(browser));
});

afterAll(async () => {
  await browser.close();
  await runPorthole(['proxy', 'stop', '--port', String(port)], env);
});

/** Adds the page's console and the bridge's log to a failure's message. */
async function withLogs(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const bridgeLog = await readFile(join(home, 'bridge', 'bridge.log'), 'utf8').catch(() => '');
    throw new Error(
      `${String(error)}\npage log:\n${log.join('\n')}\nbridge log:\n${bridgeLog.slice(-4000)}`,
      {cause: error},
    );
  }
}

describe('the console served by the bridge', () => {
  it('opens at the address porthole console gives, and signs in there', () =>
    withLogs(async () => {
      const origin = `https://127.0.0.1:${port}`;
      expect(consoleUrl).toMatch(new RegExp(`^${origin}/#bridge-session=[A-Za-z0-9_-]{43}$`));
      await page.goto(consoleUrl);
      await page.getByRole('button', {name: 'Sign in', exact: true}).click();
      await fillSignInForm(page, web, web.users.ops);
      await page.waitForURL((url) => url.origin === origin);
      await page
        .getByRole('button', {name: `Account: ${web.users.ops.displayName}`})
        .waitFor({timeout: 20_000});
      // The session's secret left the address bar (and the history) at once.
      expect(page.url()).not.toContain('bridge-session');
      await expect
        .poll(() => page.getByRole('link', {name: web.cluster, exact: true}).count())
        .toBe(1);
      await screenshot(page, web, '14-bridge-console');
    }));

  it('hands a cluster to kubectl with one click; kubectl then acts as the signed-in user', () =>
    withLogs(async () => {
      await page.goto(
        `https://127.0.0.1:${port}/#/clusters/${web.cluster}/namespaces/${web.namespace}/pods`,
      );
      await page.getByRole('button', {name: 'Use from kubectl'}).click();
      const dialog = page.getByRole('dialog', {name: `Use ${web.cluster} from kubectl`});
      await dialog
        .getByText(`Your bridge serves ${web.cluster} to kubectl`)
        .waitFor({timeout: 30_000});
      const line = (await dialog.locator('pre').textContent()) ?? '';
      expect(line).toMatch(
        new RegExp(
          `^kubectl --context porthole-${web.cluster} --kubeconfig \\S+ get pods -n ${web.namespace}$`,
        ),
      );
      await screenshot(page, web, '15-use-from-kubectl');
      kubeconfig = line.split(' ')[4] ?? '';

      const pods = await handedKubectl(['get', 'pods', '-n', web.namespace]);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toMatch(new RegExp(`^${web.pod}\\s+1/1\\s+Running`, 'm'));
      const whoami = await handedKubectl([
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
      expect(whoami.stdout).toBe(web.users.ops.objectId);
      const status = await runPorthole(
        ['proxy', 'status', '--port', String(port), '-o', 'json'],
        env,
      );
      expect(JSON.parse(status.stdout)).toMatchObject({
        clusters: [
          {cluster: web.cluster, context: `porthole-${web.cluster}`, registeredBy: 'console'},
        ],
      });
      // The kubeconfig holds a token only this bridge knows, not the user's access token.
      const written = await readFile(kubeconfig, 'utf8');
      expect(written).toMatch(/token: [A-Za-z0-9_-]{43}\n/);
      expect(written).not.toContain('eyJ');
    }));

  it('keeps kubectl working past the relay token lifetime while the page stays open', () =>
    withLogs(async () => {
      // The relay's sender tokens live 20 s here: the page hands renewed ones to the bridge.
      await sleep(26_000);
      const pods = await handedKubectl(['get', 'pods', '-n', web.namespace]);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain(web.pod);
    }));

  it('tells kubectl why it is refused once the hand-over ran out after the page closed', () =>
    withLogs(async () => {
      await context.close();
      let refused = {code: 0 as number | null, stdout: '', stderr: ''};
      await expect
        .poll(
          async () => {
            refused = await handedKubectl(['get', 'pods', '-n', web.namespace]);
            return refused.code;
          },
          {timeout: 40_000, interval: 2_000},
        )
        .not.toBe(0);
      expect(refused.stderr).toMatch(/handed this context over until \S+, and did not renew it/);
      expect(refused.stderr).toContain('Open the console again');
    }));

  it('on the relay console, says how to get a bridge', () =>
    withLogs(async () => {
      ({context, page, console: log} = await newPage(browser));
      await signInToConsole(page, web, web.users.ops);
      await page.goto(`${web.consoleUrl}#/clusters/${web.cluster}`);
      await page.getByRole('button', {name: 'Use from kubectl'}).click();
      const dialog = page.getByRole('dialog', {name: `Use ${web.cluster} from kubectl`});
      expect(await dialog.locator('pre').allTextContents()).toEqual([
        `porthole console --relay ${web.relayUrl}`,
        `porthole login --relay ${web.relayUrl}\nporthole proxy -n ${web.cluster}`,
      ]);
      await dialog.getByRole('button', {name: 'Close'}).click();
      await context.close();
    }));

  it('stops with porthole proxy stop, the handed-over context with it, and its process ends', () =>
    withLogs(async () => {
      const status = await runPorthole(
        ['proxy', 'status', '--port', String(port), '-o', 'json'],
        env,
      );
      const {pid} = JSON.parse(status.stdout) as {pid: number};
      const stopped = await runPorthole(['proxy', 'stop', '--port', String(port)], env);
      expect(stopped.stdout).toBe(`Stopped the bridge on port ${port} (1 cluster).`);
      expect(await readFile(kubeconfig, 'utf8')).not.toContain(`porthole-${web.cluster}`);
      // Its console session would keep an idle bridge for hours; a stopped one ends at once.
      await expect.poll(() => isRunning(pid), {timeout: 10_000}).toBe(false);
    }));
});

/** Whether a process of ours is still there (signal 0 only checks). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
