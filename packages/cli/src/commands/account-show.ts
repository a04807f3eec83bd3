import type {CliContext} from '../command.js';
import {CliSignInError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {OUTPUT_OPTIONS, outputChoice, renderOutput} from '../output.js';
import {SignInFiles} from '../sign-in/session-files.js';
import {dataDir} from '../data-dir.js';

/** `porthole account show`: who is signed in. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {...OUTPUT_OPTIONS},
    'Run "porthole account show --help" for its options.',
  );
  const choice = outputChoice(values);
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
  context.stdout.write(
    renderOutput(account, choice, () => [
      ['Field', 'Value'],
      ...Object.entries(account).map(([name, value]) => [name, value]),
    ]),
  );
  return ExitCode.OK;
}
