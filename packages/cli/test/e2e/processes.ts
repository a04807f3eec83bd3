import {fileURLToPath} from 'node:url';

import {LineProcess} from '@porthole/testing';

const BIN = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));

/** Starts this package's `porthole` command; the caller stops it by PID. */
export function porthole(args: readonly string[], env: NodeJS.ProcessEnv): LineProcess {
  return LineProcess.start(process.execPath, [BIN, ...args], env);
}

/** Runs `porthole ARGS…` to its end: its exit code and what it printed. */
export async function runPorthole(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = porthole(args, env);
  const code = await child.exit();
  return {code, stdout: child.lines.join('\n'), stderr: child.stderr};
}

/**
 * The arguments of `porthole relay serve` for a test: its data in `dataDir`, the hybrid
 * connections named, one SAS rule `dev` with `sasKey`, on a free port unless `listen` says
 * otherwise, and any `extra` flags (TLS, say).
 */
export function relayServeArgs(options: {
  dataDir: string;
  entities: readonly string[];
  sasKey: string;
  listen?: string;
  extra?: readonly string[];
}): string[] {
  return [
    'relay',
    'serve',
    '--listen',
    options.listen ?? '127.0.0.1:0',
    '--data-dir',
    options.dataDir,
    ...(options.extra ?? []),
    ...options.entities.flatMap((entity) => ['--hybrid-connection', entity]),
    '--sas-key',
    `dev=${options.sasKey}`,
  ];
}

/** A started relay's WebSocket URL (`ws://` or `wss://`), from the line it prints when it listens. */
export async function relayWebSocketUrl(relay: LineProcess): Promise<string> {
  const [, url = ''] = await relay.line(/^listening on (https?:\/\/127\.0\.0\.1:\d+)$/);
  return url.replace(/^http/, 'ws');
}
