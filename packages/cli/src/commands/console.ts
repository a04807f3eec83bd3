import type {CliContext} from '../command.js';
import {consoleFiles} from '../console-files.js';
import {signedInClient} from '../control-plane/signed-in-client.js';
import {dataDir} from '../data-dir.js';
import {CliInputError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';
import {openBrowser} from '../open-browser.js';
import {bridgePort, startBridge} from './proxy.js';

const HINT = 'Run "porthole console --help" for its options.';

/**
 * `porthole console`: the web console, served by the local bridge at
 * `https://127.0.0.1:<port>/` for the relay you signed in to, opened in the browser. The
 * address carries, in its fragment, the secret of a console session: with it the page may hand
 * its sign-in to the bridge ("Use from kubectl"), which then serves the cluster to kubectl.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {
      relay: {type: 'string'},
      port: {type: 'string', default: '47011'},
      'console-dir': {type: 'string'},
      'no-open': {type: 'boolean', default: false},
    },
    HINT,
  );
  const port = bridgePort(values.port);
  const consoleDir = await consoleFiles(values['console-dir']);
  if (consoleDir === undefined)
    throw new CliInputError(
      'The web console is not installed here: install @porthole/web beside the CLI, or pass --console-dir with its build',
    );
  const relay = await signedInClient(values, context, 'console');
  const settings = await relay.consoleSettings();

  const {BridgeClient, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const files = await ensureBridgeFiles(dataDir(context));
  const bridge = new BridgeClient(port, files);
  if (!(await bridge.status())) await startBridge(port, files, context, consoleDir);
  const session = await bridge.openConsole(settings);

  const address = `https://127.0.0.1:${port}/`;
  context.stdout.write(
    `Console for ${settings.relay} at ${address} until ${session.expiresAt}, served by your bridge (stop it with: porthole proxy stop --port ${port})\n`,
  );
  if (!values['no-open'] && (await openBrowser(session.url, context))) {
    context.stdout.write('Opened it in your browser.\n');
  } else {
    // The address holds the session's secret in its fragment, which browsers never send.
    context.stdout.write(`Open this address in your browser; it is yours alone: ${session.url}\n`);
  }
  context.stdout.write('If the browser warns about the certificate, run: porthole trust\n');
  return ExitCode.OK;
}
