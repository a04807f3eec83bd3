import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {SignInFiles} from '../sign-in/session-files.js';
import {dataDir} from '../data-dir.js';

/** `porthole logout`: forgets who is signed in and every cached token. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  if (args.length > 0)
    throw new CliUsageError(
      `"logout" takes no arguments (got ${JSON.stringify(args[0])})`,
      'Run: porthole logout',
    );
  const files = new SignInFiles(dataDir(context));
  const session = await files.readSession();
  await files.clear();
  context.stdout.write(session ? `Signed out ${session.username}.\n` : 'Nobody was signed in.\n');
  return ExitCode.OK;
}
