import type {CliContext} from '../command.js';
import {CliUsageError} from '../errors.js';
import {accessToken} from '../sign-in/msal-apps.js';
import {SignInFiles} from '../sign-in/session-files.js';
import {dataDir} from '../data-dir.js';
import {ControlPlaneClient} from './control-plane-client.js';

/** The `parseArgs` option of every command that talks to the control plane. */
export const CONTROL_PLANE_OPTIONS = {relay: {type: 'string'}} as const;

/**
 * A control-plane client as the signed-in principal: the relay from `--relay`, else
 * `PORTHOLE_RELAY`, else the one `porthole login --relay` remembered; tokens from the sign-in
 * cache, refreshed as needed.
 *
 * @throws CliUsageError when no relay is known
 */
export async function signedInClient(
  values: {relay?: string | undefined},
  context: CliContext,
  command: string,
): Promise<ControlPlaneClient> {
  const files = new SignInFiles(dataDir(context));
  const session = await files.readSession();
  const relay = values.relay ?? context.env.PORTHOLE_RELAY ?? session?.relay;
  if (!relay) {
    throw new CliUsageError(
      'no relay given: pass --relay URL, set PORTHOLE_RELAY, or sign in with porthole login --relay URL',
      `Run "porthole ${command} --help" for its options.`,
    );
  }
  if (!/^https?:\/\//.test(relay)) {
    throw new CliUsageError(
      `--relay must be an https:// (or http://) URL for the control plane (got ${JSON.stringify(relay)})`,
      'For example: --relay https://relay.example',
    );
  }
  return new ControlPlaneClient({
    relay,
    token: async () =>
      (await files.withLock(() => accessToken(session, files, context.env))).accessToken,
    ...(context.correlationId ? {correlationId: context.correlationId} : {}),
    env: context.env,
  });
}
