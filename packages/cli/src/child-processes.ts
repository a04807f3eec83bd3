import {spawn} from 'node:child_process';
import type {ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';

import type {CliContext} from './command.js';
import {CliWaitError} from './errors.js';

/** The `porthole` executable of this installation. */
export const PORTHOLE_BIN = fileURLToPath(new URL('../bin/porthole.js', import.meta.url));

/** A child process whose output lines can be waited for. */
export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number>;
  /** The first match of `pattern` in a line of its stdout or stderr (past lines count). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/**
 * Starts and stops the processes of a composite command (`porthole up`): each child's output
 * goes to our stderr prefixed with its name (unless `quiet`), and `stopAll` ends them in the
 * reverse order of their start — SIGTERM, then SIGKILL for one that does not stop in time.
 */
export class Supervisor {
  readonly #context: CliContext;
  readonly #children: Child[] = [];

  constructor(context: CliContext) {
    this.#context = context;
  }

  /** Starts `porthole ARGS…` as a child. */
  porthole(
    name: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: {quiet?: boolean} = {},
  ): Child {
    return this.start(name, process.execPath, [PORTHOLE_BIN, ...args], env, options);
  }

  start(
    name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: {quiet?: boolean} = {},
  ): Child {
    const child = spawn(command, args, {
      env,
      cwd: this.#context.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({input: stream}).on('line', (line) => {
        lines.push(line);
        if (lines.length > 1000) lines.shift();
        if (!options.quiet) this.#context.stderr.write(`${name}: ${line}\n`);
        for (const waiter of waiters) waiter();
      });
    }
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      child.once('error', () => resolve(127));
    });
    const handle: Child = {
      name,
      process: child,
      exited,
      waitFor: (pattern, timeoutMs) =>
        new Promise((resolve, reject) => {
          const look = () => {
            for (const line of lines) {
              const match = pattern.exec(line);
              if (match) {
                done();
                resolve(match);
                return;
              }
            }
          };
          const fail = (why: string) => {
            done();
            reject(
              new CliWaitError(
                'ERR_CLI_TIMEOUT',
                `${name} ${why} before printing ${String(pattern)}; it last said: ${lines.slice(-3).join(' | ') || 'nothing'}`,
                'Run with the same flags again; the lines above show what went wrong.',
              ),
            );
          };
          const timer = setTimeout(() => fail(`took more than ${timeoutMs / 1000} s`), timeoutMs);
          void exited.then((code) => setImmediate(() => fail(`exited (code ${code})`)));
          const done = () => {
            clearTimeout(timer);
            waiters.delete(look);
          };
          waiters.add(look);
          look();
        }),
    };
    this.#children.push(handle);
    return handle;
  }

  /** The first of `children` to exit, with its code: those that should run until stopped. */
  static firstExit(children: readonly Child[]): Promise<{child: Child; code: number}> {
    return Promise.race(children.map((child) => child.exited.then((code) => ({child, code}))));
  }

  /** Stops every child, the last started first. */
  async stopAll(graceMs = 10_000): Promise<void> {
    for (const child of [...this.#children].reverse()) {
      if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
      await child.exited;
      clearTimeout(timer);
    }
  }
}
