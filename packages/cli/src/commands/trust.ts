import {execFile} from 'node:child_process';
import {X509Certificate} from 'node:crypto';
import {access, mkdir} from 'node:fs/promises';
import {homedir, hostname, userInfo} from 'node:os';
import {join} from 'node:path';

import {shellWord} from '@porthole/core';

import type {CliContext} from '../command.js';
import {dataDir} from '../data-dir.js';
import {CliTrustError, CliUsageError, ExitCode} from '../errors.js';
import {parseFlags} from '../flags.js';

const HINT = 'Run "porthole trust --help" for its options.';

/**
 * `porthole trust`: makes this user's browsers trust the bridge's CA, so that pages the bridge
 * serves on `https://127.0.0.1:47011/` load without certificate errors. On Linux it adds the CA
 * to the user's NSS database, `$HOME/.pki/nssdb`, which Chromium and Chrome read; on macOS and
 * Windows it prints the command to run and changes nothing. `--uninstall` takes it out again,
 * `--print` shows which CA it is. The CA is name-constrained to the bridge's own hosts
 * (`ensureBridgeFiles`), which is what makes trusting it safe.
 */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  const values = parseFlags(
    args,
    {uninstall: {type: 'boolean', default: false}, print: {type: 'boolean', default: false}},
    HINT,
  );
  if (values.uninstall && values.print) {
    throw new CliUsageError('--uninstall and --print cannot go together', HINT);
  }
  const {BRIDGE_SERVER_DOMAIN, ensureBridgeFiles} = await import('@porthole/agent-bridge');
  const files = await ensureBridgeFiles(dataDir(context));
  const ca = new X509Certificate(files.caPem);
  const say = (text: string) => context.stdout.write(`${text}\n`);
  if (values.print) {
    say(`CA certificate: ${files.caPath}`);
    say(`SHA-256 fingerprint: ${ca.fingerprint256}`);
    return ExitCode.OK;
  }
  const hosts = files.caPermittedHosts;
  const constrained = `The CA is name-constrained to ${hosts.slice(0, -1).join(', ')} and ${hosts.at(-1) ?? ''}, names including their subdomains (*.${BRIDGE_SERVER_DOMAIN}), so it cannot vouch for any other site.`;
  const platform = process.platform;
  if (platform === 'darwin' || platform === 'win32') {
    const where = platform === 'darwin' ? 'login keychain' : "current user's Root store";
    say(
      `Nothing was changed: porthole does not edit the ${where} itself. To ${values.uninstall ? 'stop trusting' : 'trust'} the Porthole bridge CA, run:`,
    );
    for (const command of manualTrustCommands(platform, files.caPath, ca, values.uninstall)) {
      say(`  ${command}`);
    }
    say(`CA: ${files.caPath} (SHA-256 ${ca.fingerprint256})`);
    if (!values.uninstall) say(constrained);
    return ExitCode.OK;
  }

  const database = new NssDatabase(join(context.env.HOME || homedir(), '.pki', 'nssdb'), context);
  const nickname = `Porthole bridge CA (${userInfo().username}@${hostname()})`;
  if (values.uninstall) {
    const removed = (await database.exists()) ? await database.remove(nickname) : 0;
    say(
      removed > 0
        ? `Removed "${nickname}" from the NSS database ${database.spec}: Chromium and Chrome no longer trust it.`
        : `The NSS database ${database.spec} has no "${nickname}": nothing to remove.`,
    );
    return ExitCode.OK;
  }
  await database.create();
  const replaced = await database.remove(nickname);
  await database.add(nickname, files.caPath);
  say(`Chromium and Chrome now trust the Porthole bridge CA:`);
  say(`  CA:       ${files.caPath}`);
  say(`  SHA-256:  ${ca.fingerprint256}`);
  say(`  Added to: the NSS database ${database.spec} as "${nickname}", trusted for websites (C,,)`);
  if (replaced > 0) say('It replaces the earlier entry of that name.');
  say(constrained);
  say(
    'Firefox keeps a certificate store per profile and was not changed: import the CA file there (Settings > Privacy & Security > View Certificates > Authorities) to use the bridge from it.',
  );
  say('Browsers that are running may need a restart to notice.');
  return ExitCode.OK;
}

/**
 * The commands that add the CA to (or, with `uninstall`, remove it from) the current user's
 * trust store on macOS (`security`, the login keychain) or Windows (`certutil -user`, the Root
 * store), for people to run themselves. Removal names the certificate by its SHA-1, the hash
 * both tools take.
 *
 * @example
 *   manualTrustCommands('darwin', '/Users/ada/.porthole/bridge/ca.crt', ca, false);
 *   // ['security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db /Users/ada/.porthole/bridge/ca.crt']
 */
export function manualTrustCommands(
  platform: 'darwin' | 'win32',
  caPath: string,
  ca: X509Certificate,
  uninstall: boolean,
): string[] {
  const sha1 = ca.fingerprint.replaceAll(':', '');
  if (platform === 'darwin') {
    const keychain = '~/Library/Keychains/login.keychain-db';
    const file = shellWord(caPath);
    return uninstall
      ? [
          `security remove-trusted-cert ${file}`,
          `security delete-certificate -Z ${sha1} ${keychain}`,
        ]
      : [`security add-trusted-cert -r trustRoot -k ${keychain} ${file}`];
  }
  return uninstall
    ? [`certutil -user -delstore Root ${sha1}`]
    : [`certutil -user -addstore Root "${caPath}"`];
}

/**
 * A user's NSS certificate database (the `sql:` format, `cert9.db`), changed through NSS's own
 * `certutil` (Debian's libnss3-tools), found on the PATH of the command's environment.
 */
class NssDatabase {
  readonly #dir: string;
  readonly #context: CliContext;

  constructor(dir: string, context: CliContext) {
    this.#dir = dir;
    this.#context = context;
  }

  /** How certutil and NSS name the database. */
  get spec(): string {
    return `sql:${this.#dir}`;
  }

  exists(): Promise<boolean> {
    return access(join(this.#dir, 'cert9.db')).then(
      () => true,
      () => false,
    );
  }

  /** Creates the database, without a password as Chromium's own, unless it exists. */
  async create(): Promise<void> {
    if (await this.exists()) return;
    await mkdir(this.#dir, {recursive: true, mode: 0o700});
    await this.#certutil(['-N', '--empty-password']);
  }

  /**
   * Removes every certificate of that nickname: an older bridge CA, or the current one.
   *
   * @returns how many there were
   */
  async remove(nickname: string): Promise<number> {
    let removed = 0;
    // One at a time: several certificates may share a nickname. Bounded, should -D not delete.
    while (removed < 100 && (await this.#has(nickname))) {
      await this.#certutil(['-D', '-n', nickname]);
      removed++;
    }
    return removed;
  }

  /** Adds the CA, trusted to identify websites (`C,,`: SSL trusted CA; not for mail or code). */
  async add(nickname: string, caPath: string): Promise<void> {
    await this.#certutil(['-A', '-n', nickname, '-t', 'C,,', '-i', caPath]);
  }

  async #has(nickname: string): Promise<boolean> {
    return this.#certutil(['-L', '-n', nickname]).then(
      () => true,
      (err: unknown) => {
        if (err instanceof CliTrustError && err.code === 'ERR_CLI_TRUST_FAILED') return false;
        throw err;
      },
    );
  }

  /**
   * Runs `certutil ARGS… -d sql:DIR`.
   *
   * @throws CliTrustError `ERR_CLI_TRUST_TOOL_MISSING` when certutil is not installed,
   *   `ERR_CLI_TRUST_FAILED` with its message when it fails
   */
  #certutil(args: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        'certutil',
        [...args, '-d', this.spec],
        {env: this.#context.env, cwd: this.#context.cwd, timeout: 30_000},
        (err, _stdout, stderr) => {
          if (!err) {
            resolve();
          } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(
              new CliTrustError(
                'ERR_CLI_TRUST_TOOL_MISSING',
                'certutil (NSS tools) is not installed: porthole trust needs it to change the NSS database that Chromium and Chrome read',
                'Install it: sudo apt-get install libnss3-tools (Debian, Ubuntu) or sudo dnf install nss-tools (Fedora, RHEL), then run porthole trust again.',
                {cause: err},
              ),
            );
          } else {
            const said = stderr.trim().split('\n')[0] ?? '';
            reject(
              new CliTrustError(
                'ERR_CLI_TRUST_FAILED',
                `certutil ${args[0] ?? ''} on ${this.spec} failed: ${said || err.message}`,
                `Check that ${this.#dir} is yours and readable; close the browsers that use it and try again.`,
                {cause: err},
              ),
            );
          }
        },
      );
    });
  }
}
