import {parseArgs} from 'node:util';

import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {bridgePort, dataDir} from './proxy.js';

/** `porthole proxy status`: the running bridge and the clusters it serves. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  let values;
  try {
    ({values} = parseArgs({
      args: [...args],
      options: {
        port: {type: 'string', default: '47011'},
        output: {type: 'string', short: 'o', default: 'table'},
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliUsageError(
      (err as Error).message,
      'Run "porthole proxy status --help" for its options.',
    );
  }
  if (values.output !== 'table' && values.output !== 'json')
    throw new CliUsageError(
      `-o must be table or json (got ${JSON.stringify(values.output)})`,
      'For example: -o json',
    );
  const port = bridgePort(values.port);
  const {BridgeClient, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const status = await new BridgeClient(port, await ensureBridgeFiles(dataDir(context))).status();
  if (values.output === 'json') {
    context.stdout.write(`${JSON.stringify(status ?? null, null, 2)}\n`);
    return ExitCode.OK;
  }
  if (!status) {
    context.stdout.write(`No bridge is running on port ${port}.\n`);
    return ExitCode.OK;
  }
  const rows = [
    ['CLUSTER', 'CONTEXT', 'SERVER', 'RELAY', 'TUNNEL', 'HELD BY'],
    ...status.clusters.map((c) => [
      c.cluster,
      c.context,
      c.server,
      `${c.relay}/$hc/${c.entity}`,
      c.mode,
      c.hold ? 'a porthole proxy' : 'the bridge (--daemon)',
    ]),
  ];
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  context.stdout.write(`Bridge on https://127.0.0.1:${status.port} (pid ${status.pid})\n`);
  for (const row of rows)
    context.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  return ExitCode.OK;
}
