import {spawn} from 'node:child_process';
import type {ChildProcessByStdio} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));

/** A `porthole` process started by a test, stopped by PID when the test ends. */
export class Porthole {
  readonly lines: string[] = [];
  stderr = '';
  readonly child: ChildProcessByStdio<null, Readable, Readable>;

  private constructor(child: ChildProcessByStdio<null, Readable, Readable>) {
    this.child = child;
    createInterface({input: child.stdout}).on('line', (line) => this.lines.push(line));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static start(args: string[], env: NodeJS.ProcessEnv): Porthole {
    return new Porthole(spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']}));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The first stdout line that matches, waiting up to `timeoutMs`. */
  async line(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (this.exited || Date.now() > deadline) {
        throw new Error(`porthole printed no line like ${String(pattern)}; stdout: ${this.lines.join('\n')}; stderr: ${this.stderr}`);
      }
      await sleep(50);
    }
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    this.child.kill(signal);
    const [code] = (await once(this.child, 'exit')) as [number | null];
    return code;
  }

  /** Waits for the process to end on its own. */
  async exit(): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    const [code] = (await once(this.child, 'exit')) as [number | null];
    return code;
  }
}
