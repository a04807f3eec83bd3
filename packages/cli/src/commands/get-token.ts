import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {accessToken} from '../sign-in/msal-apps.js';
import {SignInFiles} from '../sign-in/session-files.js';
import {dataDir} from '../data-dir.js';

/**
 * `porthole get-token`: a kubectl exec credential plugin (`client.authentication.k8s.io/v1`).
 * It prints the signed-in principal's token for the clusters' server app — from the cache, or
 * refreshed — so kubectl always sends a live one and nothing needs restarting.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  if (args.length > 0)
    throw new CliUsageError(
      `"get-token" takes no arguments (got ${JSON.stringify(args[0])})`,
      'Run: porthole get-token',
    );
  const files = new SignInFiles(dataDir(context));
  const result = await files.withLock(async () =>
    accessToken(await files.readSession(), files, context.env),
  );
  const credential = {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: {
      token: result.accessToken,
      ...(result.expiresOn ? {expirationTimestamp: result.expiresOn.toISOString()} : {}),
    },
  };
  context.stdout.write(`${JSON.stringify(credential)}\n`);
  return ExitCode.OK;
}
