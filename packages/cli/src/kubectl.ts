import {spawn} from 'node:child_process';

import type {CliContext} from './command.js';

/** Which cluster kubectl talks to: a context of a kubeconfig (defaults: kubectl's own). */
export interface KubeTarget {
  kubeconfig: string | undefined;
  context: string | undefined;
}

/** What a kubectl run printed, and how it ended. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the machine's `kubectl` (or `$KUBECTL`) against `target`, feeding it `input`.
 * A kubectl that cannot be started is a result with code 127 and the reason on stderr.
 */
export function kubectl(
  args: readonly string[],
  target: KubeTarget,
  context: CliContext,
  input?: string,
): Promise<KubectlResult> {
  const full = [
    ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
    ...(target.context ? ['--context', target.context] : []),
    ...args,
  ];
  return new Promise((resolve) => {
    const child = spawn(context.env.KUBECTL ?? 'kubectl', full, {
      env: context.env,
      cwd: context.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.once('error', (err) =>
      resolve({code: 127, stdout, stderr: `cannot run kubectl: ${err.message}`}),
    );
    child.once('close', (code) => resolve({code: code ?? 1, stdout, stderr}));
  });
}
