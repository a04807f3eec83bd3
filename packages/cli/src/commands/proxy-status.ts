import type {CliContext} from '../command.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';
import {dataDir} from '../data-dir.js';
import {bridgePort} from './proxy.js';

/** `porthole proxy status`: the running bridge and the clusters it serves. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      port: {type: 'string', default: '47011'},
      ...OUTPUT_OPTIONS,
    },
    'Run "porthole proxy status --help" for its options.',
  );
  const choice = outputChoice(values);
  const port = bridgePort(values.port);
  const {BridgeClient, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const status = await new BridgeClient(port, await ensureBridgeFiles(dataDir(context))).status();
  if (!status && choice.format === 'table' && choice.query === undefined) {
    context.stdout.write(`No bridge is running on port ${port}.\n`);
    return ExitCode.OK;
  }
  if (status && choice.format === 'table' && choice.query === undefined)
    context.stdout.write(`Bridge on https://127.0.0.1:${status.port} (pid ${status.pid})\n`);
  context.stdout.write(
    renderOutput(status ?? null, choice, () => [
      ['Cluster', 'Context', 'Server', 'Relay', 'Tunnel', 'Held by'],
      ...(status?.clusters ?? []).map((c) => [
        c.cluster,
        c.context,
        c.server,
        `${c.relay}/$hc/${c.entity}`,
        c.mode,
        c.registeredBy === 'console'
          ? 'the console (Use from kubectl)'
          : c.hold
            ? 'a porthole proxy'
            : 'the bridge (--daemon)',
      ]),
    ]),
  );
  return ExitCode.OK;
}
