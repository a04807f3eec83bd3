import {spawn} from 'node:child_process';

import type {CliContext} from './command.js';

/**
 * Opens a page in the desktop's browser: `$BROWSER` when set (`none` opens nothing), else the
 * platform's opener. Resolves once the browser has started, or at once when none can be: the
 * caller prints the address for that case.
 *
 * @returns whether a browser was started
 */
export async function openBrowser(url: string, context: CliContext): Promise<boolean> {
  const browser = context.env.BROWSER;
  if (browser === 'none') return false;
  const command =
    browser ??
    (process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : 'xdg-open');
  return new Promise<boolean>((resolve) => {
    const child = spawn(command, [url], {stdio: 'ignore', detached: true});
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
