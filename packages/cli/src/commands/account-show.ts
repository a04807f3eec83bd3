import {parseArgs} from 'node:util';

import type {CliContext} from '../command.js';
import {CliSignInError, CliUsageError, ExitCode} from '../errors.js';
import {SignInFiles} from '../sign-in/session-files.js';
import {dataDir} from './proxy.js';

/** `porthole account show`: who is signed in. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  let values;
  try {
    ({values} = parseArgs({
      args: [...args],
      options: {output: {type: 'string', short: 'o', default: 'table'}},
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliUsageError(
      (err as Error).message,
      'Run "porthole account show --help" for its options.',
    );
  }
  if (values.output !== 'table' && values.output !== 'json')
    throw new CliUsageError(
      `-o must be table or json (got ${JSON.stringify(values.output)})`,
      'For example: -o json',
    );
  const session = await new SignInFiles(dataDir(context)).readSession();
  if (!session)
    throw new CliSignInError(
      'ERR_CLI_SIGN_IN_REQUIRED',
      'Nobody is signed in',
      'Run: porthole login',
    );
  const account = {
    username: session.username,
    objectId: session.objectId,
    tenantId: session.tenantId,
    type: session.kind,
    authority: session.authority,
    clientId: session.clientId,
    serverApp: session.serverApp,
  };
  if (values.output === 'json') {
    context.stdout.write(`${JSON.stringify(account, null, 2)}\n`);
    return ExitCode.OK;
  }
  const rows = Object.entries(account);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) context.stdout.write(`${name.padEnd(width)}  ${value}\n`);
  return ExitCode.OK;
}
