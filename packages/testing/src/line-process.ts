import {spawn} from 'node:child_process';
import type {ChildProcessByStdio} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';

/**
 * A command-line program started by a test or a benchmark: its stdout is kept line by line
 * (for the lines that say it is ready), its stderr whole (for failure messages), and it is
 * stopped by its PID.
 */
export class LineProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Settles with the exit code once the process has exited and its output has been read. */
  readonly #closed: Promise<number | null>;
  #done = false;

  private constructor(child: ChildProcessByStdio<null, Readable, Readable>) {
    this.child = child;
    createInterface({input: child.stdout}).on('line', (line) => this.lines.push(line));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#closed = once(child, 'close').then(([code]) => {
      this.#done = true;
      return code as number | null;
    });
  }

  /** Starts `command` with `env` added to this process's environment. */
  static start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): LineProcess {
    return new LineProcess(
      spawn(command, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']}),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Whether the process has exited and all its output is in {@link lines} and {@link stderr}. */
  get exited(): boolean {
    return this.#done;
  }

  /**
   * The first stdout line that matches, waiting up to `timeoutMs`.
   *
   * @throws Error with the output so far, when the process exits or the time runs out first
   */
  async line(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (this.exited || Date.now() > deadline) {
        throw new Error(
          `${this.child.spawnfile} printed no line like ${String(pattern)}; stdout: ${this.lines.join('\n')}; stderr: ${this.stderr}`,
        );
      }
      await sleep(50);
    }
  }

  /** Sends a signal and waits for the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.#done) this.child.kill(signal);
    return this.#closed;
  }

  /** Waits for the process to end on its own. */
  exit(): Promise<number | null> {
    return this.#closed;
  }
}
