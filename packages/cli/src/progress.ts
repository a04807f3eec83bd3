import {setTimeout as sleep} from 'node:timers/promises';

import type {CliContext} from './command.js';
import {CliWaitError} from './errors.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** What one look at a thing being waited for found. */
export interface Progress<T> {
  /** Set once the wait is over. */
  done?: T;
  /** A few words on where things stand, e.g. "Connecting". */
  status: string;
}

/**
 * Polls `look` until it reports `done`, showing a spinner with its status on a terminal, or a
 * line per change of status otherwise (CI logs stay readable). Errors from `look` end the wait.
 *
 * @throws CliWaitError `ERR_CLI_TIMEOUT` with `hint` when `timeoutMs` passes first
 */
export async function waitWithProgress<T>(
  context: CliContext,
  label: string,
  look: () => Promise<Progress<T>>,
  options: {timeoutMs: number; intervalMs?: number; hint: string},
): Promise<T> {
  const tty = (context.stderr as {isTTY?: boolean}).isTTY === true;
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  let frame = 0;
  try {
    for (;;) {
      const progress = await look();
      if (progress.done !== undefined) {
        if (tty) context.stderr.write(`\r\x1b[2K✓ ${label}: ${progress.status}\n`);
        else context.stderr.write(`${label}: ${progress.status}\n`);
        return progress.done;
      }
      if (tty) {
        context.stderr.write(
          `\r\x1b[2K${FRAMES[frame++ % FRAMES.length] ?? ''} ${label}: ${progress.status}`,
        );
      } else if (progress.status !== last) {
        context.stderr.write(`${label}: ${progress.status}…\n`);
      }
      last = progress.status;
      if (Date.now() >= deadline) {
        throw new CliWaitError(
          'ERR_CLI_TIMEOUT',
          `${label}: still ${last} after ${Math.round(options.timeoutMs / 1000)} s`,
          options.hint,
        );
      }
      await sleep(options.intervalMs ?? (tty ? 250 : 1000));
    }
  } finally {
    if (tty) context.stderr.write('\r\x1b[2K');
  }
}
