import {once} from 'node:events';
import {readFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import type {CliContext} from '../command.js';
import {CliInputError, CliUsageError, ExitCode} from '../errors.js';

const USAGE_HINT = 'Run "porthole relay serve --help" for its options.';

/**
 * `porthole relay serve`: runs the relay until SIGINT or SIGTERM. The bound URL is printed as
 * `listening on <url>` once it accepts connections, so that scripts can wait for that line.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const options = parseOptions(args, context);
  const tls = await readTls(options.tlsCert, options.tlsKey);
  const {RelayServer, SqliteEntityStore, stderrLogger} = await import('@porthole/relay');

  const store = SqliteEntityStore.open(options.dataDir);
  try {
    for (const name of options.hybridConnections) store.ensureHybridConnection(name);
    for (const {rule, key} of options.sasKeys) {
      store.putAuthorizationRule({
        entity: undefined,
        name: rule,
        primaryKey: key,
        secondaryKey: undefined,
        rights: ['Listen', 'Send'],
      });
    }
    const relay = new RelayServer({store, log: stderrLogger});
    const {url} = await relay.listen({
      host: options.host,
      port: options.port,
      ...(tls ? {tls} : {}),
    });
    context.stdout.write(`listening on ${url}\n`);
    const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    context.stderr.write(`relay: stopping (${String(signal[0] ?? 'signal')})\n`);
    await relay.close();
    return ExitCode.OK;
  } finally {
    store.close();
  }
}

interface ServeOptions {
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  dataDir: string;
  hybridConnections: string[];
  sasKeys: {rule: string; key: string}[];
}

function parseOptions(args: readonly string[], context: CliContext): ServeOptions {
  let values;
  try {
    ({values} = parseArgs({
      args: [...args],
      options: {
        listen: {type: 'string', default: '127.0.0.1:9350'},
        'tls-cert': {type: 'string'},
        'tls-key': {type: 'string'},
        'data-dir': {type: 'string'},
        'hybrid-connection': {type: 'string', multiple: true, default: []},
        'sas-key': {type: 'string', multiple: true, default: []},
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message, USAGE_HINT);
  }
  const listen = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(values.listen);
  const port = Number(listen?.[2]);
  if (!listen?.[1] || port > 65535) {
    throw new CliUsageError(
      `--listen must be HOST:PORT (got ${JSON.stringify(values.listen)})`,
      'For example: --listen 127.0.0.1:0',
    );
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new CliUsageError('--tls-cert and --tls-key go together', USAGE_HINT);
  }
  const sasKeys = values['sas-key'].map((pair) => {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) {
      // The value may hold a key: name the flag, never echo it.
      throw new CliUsageError('--sas-key must be RULE=KEY', 'For example: --sas-key dev=s3cret');
    }
    return {rule: pair.slice(0, equals), key: pair.slice(equals + 1)};
  });
  const home = context.env.PORTHOLE_HOME || join(homedir(), '.porthole');
  return {
    host: listen[1].replace(/^\[|\]$/g, ''),
    port,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    dataDir: values['data-dir'] ?? join(home, 'relay'),
    hybridConnections: values['hybrid-connection'],
    sasKeys,
  };
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
