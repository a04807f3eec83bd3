import {spawn} from 'node:child_process';
import type {ChildProcess} from 'node:child_process';
import {closeSync, openSync, readFileSync} from 'node:fs';

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link ManagedProcess.start}. */
export interface ManagedProcessOptions {
  /** The file that receives the process's stdout and stderr, appended. */
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * A child process that is tracked by PID from start to exit and never outlives this one: the
 * `exit` hook kills whatever is still running when Node exits, however it exits.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<ProcessExit>;
  #child: ChildProcess;
  #exit: ProcessExit | undefined;

  private constructor(name: string, child: ChildProcess, pid: number, logPath: string) {
    this.name = name;
    this.#child = child;
    this.pid = pid;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = {code, signal};
        running.delete(this);
        resolve(this.#exit);
      });
    });
  }

  /**
   * Starts `command` with its output going straight to `options.logPath` (no pipe through
   * this process, so a chatty child cannot stall on a full buffer).
   *
   * @param name what to call the process in messages
   * @throws Error when the executable cannot be started
   */
  static async start(
    name: string,
    command: string,
    args: readonly string[],
    options: ManagedProcessOptions,
  ): Promise<ManagedProcess> {
    installExitHook();
    const log = openSync(options.logPath, 'a', 0o600);
    try {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', log, log],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => {
          resolve(child.pid ?? 0);
        });
        child.once('error', reject);
      });
      const managed = new ManagedProcess(name, child, pid, options.logPath);
      running.add(managed);
      return managed;
    } finally {
      closeSync(log);
    }
  }

  /** How the process ended, or `undefined` while it runs. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /**
   * Asks the process to stop with SIGTERM and, if it is still running after `graceMs`,
   * kills it with SIGKILL.
   */
  async stop(graceMs = 5000): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last `lines` lines of the process's log, for error messages. */
  logTail(lines = 15): string {
    let text: string;
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone between its exit and our bookkeeping.
      }
    }
  });
}
