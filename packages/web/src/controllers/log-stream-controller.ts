import type {ReactiveControllerHost} from 'lit';

import type {KubeClient} from '@porthole/core/kube';

import {TargetController} from './target-controller.js';

/** Which log to stream. */
export interface LogTarget {
  client: KubeClient;
  namespace: string;
  pod: string;
  container: string | undefined;
  /** Start with this many of the last lines. */
  tailLines: number;
  /** Keep the stream open for lines written later. */
  follow: boolean;
}

/** Where a {@link LogStreamController} stands. */
export interface LogStreamState {
  status: 'idle' | 'connecting' | 'streaming' | 'ended' | 'error';
  /** The last lines (at most `maxLines`), without their line ends; the last may be partial. */
  lines: string[];
  error: unknown;
  /** Lines dropped from the top to stay within `maxLines`. */
  dropped: number;
}

/**
 * Streams a container's log into its host (`logs -f` through the relay), keeping the last
 * `maxLines` lines. The stream opens when the host is in the page and has a target, and is
 * cancelled when the host leaves or the target changes.
 */
export class LogStreamController extends TargetController<LogTarget> {
  readonly #maxLines: () => number;
  #state: LogStreamState = {status: 'idle', lines: [], error: undefined, dropped: 0};
  #abort: AbortController | undefined;
  /** Whether the last text ended its line (else the next continues it). */
  #endsLine = true;

  /**
   * @param target the log and anything else whose change restarts the stream
   * @param maxLines how many lines to keep
   */
  constructor(
    host: ReactiveControllerHost,
    target: () => readonly [LogTarget, ...unknown[]] | undefined,
    maxLines: () => number,
  ) {
    super(host, target, logTargetValues);
    this.#maxLines = maxLines;
  }

  get state(): LogStreamState {
    return this.#state;
  }

  /** Opens the stream again (after it ended or failed), from the last `tailLines` lines. */
  restart(): void {
    this.startAgain();
  }

  protected stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
  }

  protected start(target: LogTarget | undefined): void {
    if (target === undefined) {
      this.#state = {status: 'idle', lines: [], error: undefined, dropped: 0};
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    this.#state = {status: 'connecting', lines: [], error: undefined, dropped: 0};
    this.#endsLine = true;
    this.host.requestUpdate();
    void this.#stream(target, abort.signal);
  }

  async #stream(target: LogTarget, signal: AbortSignal): Promise<void> {
    try {
      const log = await target.client.logs(target.pod, {
        namespace: target.namespace,
        ...(target.container === undefined ? {} : {container: target.container}),
        follow: target.follow,
        tailLines: target.tailLines,
        signal,
      });
      const reader = log.getReader();
      signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), {
        once: true,
      });
      this.#set({status: 'streaming'});
      for (;;) {
        const {done, value} = await reader.read();
        if (done || signal.aborted) break;
        this.#append(value);
      }
      if (!signal.aborted) this.#set({status: 'ended'});
    } catch (error) {
      if (!signal.aborted) this.#set({status: 'error', error});
    }
  }

  #append(text: string): void {
    const lines = [...this.#state.lines];
    const pieces = text.split('\n');
    // The first piece continues the last, unfinished line.
    const unfinished = this.#endsLine ? undefined : lines.pop();
    if (unfinished !== undefined) pieces[0] = unfinished + (pieces[0] ?? '');
    lines.push(...pieces);
    this.#endsLine = text.endsWith('\n');
    if (this.#endsLine) lines.pop();
    const excess = Math.max(0, lines.length - this.#maxLines());
    this.#set({
      lines: excess > 0 ? lines.slice(excess) : lines,
      dropped: this.#state.dropped + excess,
    });
  }

  #set(state: Partial<LogStreamState>): void {
    this.#state = {...this.#state, ...state};
    this.host.requestUpdate();
  }
}

function logTargetValues(target: LogTarget): unknown[] {
  const {client, namespace, pod, container, tailLines, follow} = target;
  return [client, namespace, pod, container, tailLines, follow];
}
