import type {ReactiveControllerHost} from 'lit';

import type {ExecSession, KubeClient} from '@porthole/core/kube';

import {TargetController} from './target-controller.js';

/** The screen a session writes to and reads keys from: an xterm.js `Terminal`. */
export interface TerminalScreen {
  readonly cols: number;
  readonly rows: number;
  write(data: string | Uint8Array): void;
  onData(listener: (data: string) => void): {dispose(): void};
  reset(): void;
}

/** Where to run a command. */
export interface ExecTarget {
  client: KubeClient;
  namespace: string;
  pod: string;
  container: string | undefined;
  command: readonly string[];
  screen: TerminalScreen;
}

/** Where an {@link ExecSessionController} stands. */
export interface ExecSessionState {
  status: 'idle' | 'connecting' | 'open' | 'exited' | 'error';
  /** The exit code, once `exited`. */
  exitCode: number | undefined;
  error: unknown;
}

const encoder = new TextEncoder();

/**
 * Runs a command with a terminal in a container (`kubectl exec -it`) through the relay as the
 * signed-in user, wired to a screen: output is written to it, keys typed go to the command's
 * standard input, and its size follows the screen. The session opens when the host is in the
 * page and has a target, and closes when the host leaves or the target changes.
 */
export class ExecSessionController extends TargetController<ExecTarget> {
  #state: ExecSessionState = {status: 'idle', exitCode: undefined, error: undefined};
  #session: ExecSession | undefined;
  #stop: (() => void) | undefined;

  constructor(
    host: ReactiveControllerHost,
    target: () => readonly [ExecTarget, ...unknown[]] | undefined,
  ) {
    super(host, target, execTargetValues);
  }

  get state(): ExecSessionState {
    return this.#state;
  }

  /** Starts the command again, on a clean screen. */
  restart(): void {
    this.startAgain();
  }

  /** Ends the session, as if the command had been closed from this side. */
  disconnect(): void {
    this.stop();
    this.#set({status: 'exited', exitCode: undefined});
  }

  /** Tells the command the screen's size (TTY resize). */
  resize(cols: number, rows: number): void {
    this.#session?.resize({width: cols, height: rows});
  }

  protected stop(): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#session?.close();
    this.#session = undefined;
  }

  protected start(target: ExecTarget | undefined): void {
    if (target === undefined) {
      this.#state = {status: 'idle', exitCode: undefined, error: undefined};
      return;
    }
    target.screen.reset();
    this.#set({status: 'connecting', exitCode: undefined, error: undefined});
    let stopped = false;
    const disposers: (() => void)[] = [];
    this.#stop = () => {
      stopped = true;
      for (const dispose of disposers) dispose();
    };
    void this.#run(target, () => stopped, disposers);
  }

  async #run(target: ExecTarget, stopped: () => boolean, disposers: (() => void)[]): Promise<void> {
    let session: ExecSession;
    try {
      session = await target.client.exec(target.pod, {
        namespace: target.namespace,
        command: target.command,
        ...(target.container === undefined ? {} : {container: target.container}),
        stdin: true,
        tty: true,
      });
    } catch (error) {
      if (!stopped()) this.#set({status: 'error', error});
      return;
    }
    if (stopped()) {
      session.close();
      return;
    }
    this.#session = session;
    this.#set({status: 'open'});
    session.resize({width: target.screen.cols, height: target.screen.rows});
    const stdin = session.stdin.getWriter();
    const typing = target.screen.onData((data) => {
      stdin.write(encoder.encode(data)).catch(() => undefined);
    });
    disposers.push(() => {
      typing.dispose();
    });
    const output = session.stdout.getReader();
    disposers.push(() => void output.cancel().catch(() => undefined));
    try {
      for (;;) {
        const {done, value} = await output.read();
        if (done || stopped()) break;
        target.screen.write(value);
      }
      const {code} = await session.exit;
      if (!stopped()) this.#set({status: 'exited', exitCode: code});
    } catch (error) {
      if (!stopped()) this.#set({status: 'error', error});
    } finally {
      typing.dispose();
      if (this.#session === session) this.#session = undefined;
    }
  }

  #set(state: Partial<ExecSessionState>): void {
    this.#state = {...this.#state, ...state};
    this.host.requestUpdate();
  }
}

function execTargetValues(target: ExecTarget): unknown[] {
  const {client, namespace, pod, container, command, screen} = target;
  return [client, namespace, pod, container, command.join('\0'), screen];
}
