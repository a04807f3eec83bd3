import {setTimeout as sleep} from 'node:timers/promises';

import {TestingError} from '../errors.js';
import type {ManagedProcess} from './managed-process.js';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Fail as soon as this process exits, quoting the end of its log. */
  process?: ManagedProcess;
  timeoutMs: number;
}

/**
 * Polls `probe` until it returns a value other than `undefined`. A probe that throws counts
 * as "not yet": components refuse connections until they listen.
 *
 * @param what what is awaited, for the error message ("etcd to report healthy")
 * @throws TestingError `ERR_CLUSTER_START_FAILED` when the process exits or time runs out
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitForOptions,
): Promise<T> {
  const {process, timeoutMs} = options;
  const deadline = Date.now() + timeoutMs;
  let delayMs = 50;
  let lastError: unknown;
  for (;;) {
    if (process?.exit) {
      const {code, signal} = process.exit;
      throw new TestingError(
        'ERR_CLUSTER_START_FAILED',
        `${process.name} exited (${signal ?? `code ${code}`}) while waiting for ${what}; ` +
          `its log ${process.logPath} ends:\n${process.logTail()}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const log = process
        ? `; ${process.name}'s log ${process.logPath} ends:\n${process.logTail()}`
        : '';
      throw new TestingError(
        'ERR_CLUSTER_START_FAILED',
        `Timed out after ${timeoutMs}ms waiting for ${what}${log}`,
        {
          cause: lastError,
        },
      );
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 250);
  }
}
