import {join} from 'node:path';

import {chromium} from 'playwright-core';
import type {Browser, BrowserContext, Page} from 'playwright-core';

import type {TestUser, WebE2eEnvironment} from './environment.js';

/** Debian's Chromium (`.ci/run` installs it); playwright-core never downloads a browser. */
export const CHROMIUM = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Chromium, trusting the embedded identity provider's certificate by its key alone (the
 * provider's throwaway CA is in no browser store), and nothing else beyond the usual.
 */
export function launchChromium(web: WebE2eEnvironment): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [`--ignore-certificate-errors-spki-list=${web.identitySpki}`],
  });
}

/** A fresh browser profile with a desktop-sized window; what the page logs is kept. */
export async function newPage(
  browser: Browser,
): Promise<{context: BrowserContext; page: Page; console: string[]}> {
  const context = await browser.newContext({viewport: {width: 1360, height: 860}});
  const page = await context.newPage();
  const console: string[] = [];
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) console.push(`HTTP ${response.status()} ${response.url()}`);
  });
  return {context, page, console};
}

/**
 * Fills the embedded provider's sign-in form (a plain HTML form: `username`, `password`, and
 * a "Sign in" button) on `page`, which is on the provider's origin.
 */
export async function fillSignInForm(
  page: Page,
  web: WebE2eEnvironment,
  user: TestUser,
): Promise<void> {
  await page.waitForURL((url) => url.origin === web.identityOrigin);
  await page.getByLabel('User name or UPN').fill(user.name);
  await page.getByLabel('Password').fill('any password');
  await page.getByRole('button', {name: 'Sign in'}).click();
}

/** Signs in to the console with the redirect flow, from its sign-in card. */
export async function signInToConsole(
  page: Page,
  web: WebE2eEnvironment,
  user: TestUser,
): Promise<void> {
  await page.goto(web.consoleUrl);
  await page.getByRole('button', {name: 'Sign in', exact: true}).click();
  await fillSignInForm(page, web, user);
  await page.waitForURL((url) => url.href.startsWith(web.consoleUrl));
  await page.getByRole('button', {name: `Account: ${user.displayName}`}).waitFor({timeout: 20_000});
}

/** Saves a screenshot of the whole page, for people to judge the look. */
export async function screenshot(page: Page, web: WebE2eEnvironment, name: string): Promise<void> {
  await page.screenshot({path: join(web.screenshots, `${name}.png`), fullPage: true});
}
