import {once} from 'node:events';

import type {CliContext} from '../command.js';
import {consoleFiles} from '../console-files.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {dataDir} from '../data-dir.js';
import {bridgePort} from './proxy.js';

/**
 * `porthole proxy serve`: the bridge process itself, which `porthole proxy` and `porthole
 * console` start in the background. It serves the web console at `/` once `porthole console`
 * has opened a session. It exits once no cluster has been registered (and no console session
 * is live) for a few seconds, on `porthole proxy stop`, or on SIGTERM/SIGINT.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {port: {type: 'string', default: '47011'}, 'console-dir': {type: 'string'}},
    'It is started by "porthole proxy" and "porthole console".',
  );
  const port = bridgePort(values.port);
  const consoleDir = await consoleFiles(values['console-dir']);
  const [{BridgeDaemon, stderrLogger}, {ConsoleSite}] = await Promise.all([
    import('@porthole/agent-bridge'),
    import('@porthole/relay'),
  ]);
  const site = consoleDir === undefined ? undefined : new ConsoleSite(consoleDir, {path: '/'});
  const daemon = await BridgeDaemon.start({
    dataDir: dataDir(context),
    host: '127.0.0.1',
    port,
    log: stderrLogger,
    ...(site === undefined
      ? {}
      : {site: (request, response, settings) => site.handle(request, response, settings)}),
  });
  stderrLogger('bridge.listening', {port: daemon.port, pid: process.pid, console: consoleDir});
  const signalled = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() =>
    daemon.stop(),
  );
  await Promise.race([daemon.stopped, signalled]);
  return ExitCode.OK;
}
