import {setTimeout as sleep} from 'node:timers/promises';

import type {CliContext} from '../command.js';
import {ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {dataDir} from '../data-dir.js';
import {bridgePort} from './proxy.js';

/** `porthole proxy stop`: stops the bridge; every cluster goes, with the contexts it wrote. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {port: {type: 'string', default: '47011'}},
    'Run "porthole proxy stop --help" for its options.',
  );
  const port = bridgePort(values.port);
  const {BridgeClient, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const client = new BridgeClient(port, await ensureBridgeFiles(dataDir(context)));
  const status = await client.status();
  if (!status) {
    context.stdout.write(`No bridge is running on port ${port}.\n`);
    return ExitCode.OK;
  }
  await client.stop();
  // The bridge answers first and then removes its clusters and contexts: wait until it is gone.
  for (let attempt = 0; attempt < 100 && (await client.status()); attempt++) await sleep(100);
  context.stdout.write(
    `Stopped the bridge on port ${port} (${status.clusters.length} cluster${status.clusters.length === 1 ? '' : 's'}).\n`,
  );
  return ExitCode.OK;
}
