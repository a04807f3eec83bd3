import {once} from 'node:events';

import type {CliContext} from '../command.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {dataDir} from '../data-dir.js';
import {bridgePort} from './proxy.js';

/**
 * `porthole proxy serve`: the bridge process itself, which `porthole proxy` starts in the
 * background. It exits once no cluster has been registered for a few seconds, on
 * `porthole proxy stop`, or on SIGTERM/SIGINT.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {port: {type: 'string', default: '47011'}},
    'It is started by "porthole proxy".',
  );
  const {BridgeDaemon, stderrLogger} = await import('@porthole/agent-bridge');
  const daemon = await BridgeDaemon.start({
    dataDir: dataDir(context),
    host: '127.0.0.1',
    port: bridgePort(values.port),
    log: stderrLogger,
  });
  stderrLogger('bridge.listening', {port: daemon.port, pid: process.pid});
  const signalled = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() =>
    daemon.stop(),
  );
  await Promise.race([daemon.stopped, signalled]);
  return ExitCode.OK;
}
