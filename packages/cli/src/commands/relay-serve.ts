import {once} from 'node:events';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import type {DevIdentityProvider} from '@porthole/relay';

import type {CliContext} from '../command.js';
import {consoleFiles} from '../console-files.js';
import {dataDir} from '../data-dir.js';
import {
  CONTROL_PLANE_SERVE_OPTIONS,
  controlPlaneOptions,
  controlPlaneSettings,
  DEV_RELAY_PRINCIPAL,
} from '../control-plane/serve-flags.js';
import type {ControlPlaneSettings} from '../control-plane/serve-flags.js';
import {CliInputError, CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';

const USAGE_HINT = 'Run "porthole relay serve --help" for its options.';

/**
 * `porthole relay serve`: runs the relay until SIGINT or SIGTERM. The bound URL is printed as
 * `listening on <url>` once it accepts connections, so that scripts can wait for that line.
 * With `--dev-identity` it also runs the embedded, Entra-shaped identity provider for
 * development, tests and air-gapped sites, and prints its issuer and the CA to trust; the
 * control plane reads that provider's Graph for tokens with group overage.
 * `--database-url` (or `PORTHOLE_DATABASE_URL`) keeps the state in PostgreSQL, shared by
 * several relays, instead of SQLite in the data directory.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const options = parseOptions(args, context);
  const tls = await readTls(options.tlsCert, options.tlsKey);
  const {RelayServer, fetchTrusting, openRelayStore, stderrLogger} =
    await import('@porthole/relay');

  const store = await openRelayStore({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
  });
  try {
    for (const name of options.hybridConnections) await store.ensureHybridConnection(name);
    for (const {rule, key} of options.sasKeys) {
      await store.putAuthorizationRule({
        entity: undefined,
        name: rule,
        primaryKey: key,
        secondaryKey: undefined,
        rights: ['Listen', 'Send'],
      });
    }
    // The identity provider first: a relay that cannot run it as asked does not start at all.
    const identity =
      options.devIdentity &&
      (await startDevIdentity(options.devIdentity, options.dataDir, context));
    const consoleDir = await consoleFiles(options.consoleDir);
    const controlPlane = controlPlaneOptions(
      options.controlPlane,
      identity
        ? {provider: identity.provider, fetch: fetchTrusting(identity.provider.caPem)}
        : undefined,
    );
    if (identity && controlPlane.groups === undefined) {
      context.stderr.write(
        `relay: tokens with group overage count only their own object id: the directory ${identity.directoryPath} has no service principal ${DEV_RELAY_PRINCIPAL} to read Graph as (relay serve puts one only in the directories it makes; add one with "graphPermissions": ["GroupMember.Read.All"])\n`,
      );
    }
    const relay = new RelayServer({
      store,
      log: stderrLogger,
      ...(consoleDir === undefined ? {} : {console: {dir: consoleDir}}),
      controlPlane,
    });
    let url: string;
    try {
      ({url} = await relay.listen({
        host: options.host,
        port: options.port,
        ...(tls ? {tls} : {}),
      }));
    } catch (err) {
      await identity?.provider.close();
      throw err;
    }
    context.stdout.write(`listening on ${url}\n`);
    if (consoleDir !== undefined) context.stdout.write(`console at ${url}/console/\n`);
    const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    context.stderr.write(`relay: stopping (${String(signal[0] ?? 'signal')})\n`);
    await identity?.provider.close();
    await relay.close();
    return ExitCode.OK;
  } finally {
    await store.close();
  }
}

interface ServeOptions {
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  dataDir: string;
  /** PostgreSQL instead of SQLite in `dataDir`; it may hold a password, so it is never printed. */
  databaseUrl: string | undefined;
  hybridConnections: string[];
  sasKeys: {rule: string; key: string}[];
  /** The embedded identity provider, when asked for. */
  devIdentity: {host: string; port: number; directory: string | undefined} | undefined;
  controlPlane: ControlPlaneSettings;
  /** The console's built files; `undefined`: the ones of `@porthole/web`, when built. */
  consoleDir: string | undefined;
}

function parseOptions(args: readonly string[], context: CliContext): ServeOptions {
  const values = parseFlags(
    args,
    {
      listen: {type: 'string', default: '127.0.0.1:9350'},
      'tls-cert': {type: 'string'},
      'tls-key': {type: 'string'},
      'data-dir': {type: 'string'},
      'database-url': {type: 'string'},
      'hybrid-connection': {type: 'string', multiple: true},
      'sas-key': {type: 'string', multiple: true},
      'dev-identity': {type: 'boolean', default: false},
      'dev-identity-listen': {type: 'string'},
      'dev-identity-directory': {type: 'string'},
      ...CONTROL_PLANE_SERVE_OPTIONS,
      'console-dir': {type: 'string'},
    },
    USAGE_HINT,
  );
  const {host, port} = hostPort('--listen', values.listen);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new CliUsageError('--tls-cert and --tls-key go together', USAGE_HINT);
  }
  const sasKeys = (values['sas-key'] ?? []).map((pair) => {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) {
      // The value may hold a key: name the flag, never echo it.
      throw new CliUsageError('--sas-key must be RULE=KEY', 'For example: --sas-key dev=s3cret');
    }
    return {rule: pair.slice(0, equals), key: pair.slice(equals + 1)};
  });
  const devIdentity = values['dev-identity'];
  if (!devIdentity) {
    const stray = (['dev-identity-listen', 'dev-identity-directory'] as const).find(
      (flag) => values[flag] !== undefined,
    );
    if (stray) throw new CliUsageError(`--${stray} needs --dev-identity`, USAGE_HINT);
  }
  return {
    host,
    port,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    dataDir: values['data-dir'] ?? join(dataDir(context), 'relay'),
    databaseUrl: values['database-url'] || context.env.PORTHOLE_DATABASE_URL || undefined,
    hybridConnections: values['hybrid-connection'] ?? [],
    sasKeys,
    controlPlane: controlPlaneSettings(values, devIdentity, context),
    consoleDir: values['console-dir'],
    devIdentity: devIdentity
      ? {
          ...hostPort('--dev-identity-listen', values['dev-identity-listen'] ?? '127.0.0.1:9351'),
          directory: values['dev-identity-directory'],
        }
      : undefined,
  };
}

function hostPort(flag: string, value: string): {host: string; port: number} {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || port > 65535) {
    throw new CliUsageError(
      `${flag} must be HOST:PORT (got ${JSON.stringify(value)})`,
      `For example: ${flag} 127.0.0.1:0`,
    );
  }
  return {host: match[1].replace(/^\[|\]$/g, ''), port};
}

/**
 * Starts the embedded identity provider with the directory given, or the one kept in the data
 * directory (made on first use), and writes the CA that signs its TLS certificate next to it.
 */
async function startDevIdentity(
  identity: NonNullable<ServeOptions['devIdentity']>,
  dataDir: string,
  context: CliContext,
): Promise<{provider: DevIdentityProvider; directoryPath: string}> {
  const {DevIdentityProvider, ensureDevDirectory, loadDevDirectory, stderrLogger} =
    await import('@porthole/relay');
  const directoryPath = identity.directory ?? join(dataDir, 'dev-identity', 'directory.json');
  const directory = identity.directory
    ? await loadDevDirectory(directoryPath)
    : await ensureDevDirectory(directoryPath);
  const provider = await DevIdentityProvider.start({
    directory,
    host: identity.host,
    port: identity.port,
    log: stderrLogger,
  });
  const caPath = join(dataDir, 'dev-identity', 'ca.pem');
  await mkdir(join(dataDir, 'dev-identity'), {recursive: true, mode: 0o700});
  await writeFile(caPath, provider.caPem);
  context.stdout.write(`identity provider at ${provider.issuer}\n`);
  context.stdout.write(`identity provider CA: ${caPath}\n`);
  return {provider, directoryPath};
}

async function readTls(
  cert: string | undefined,
  key: string | undefined,
): Promise<{cert: string; key: string} | undefined> {
  if (cert === undefined || key === undefined) return undefined;
  const read = async (flag: string, path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new CliInputError(
        `Cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        {cause: err},
      );
    }
  };
  return {cert: await read('--tls-cert', cert), key: await read('--tls-key', key)};
}
