import {execFile} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';

import {runCli} from './in-process-cli.js';

const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const porthole = (...args: string[]) => runCli(args);

describe('Cli', () => {
  it('prints its version, the runtime and the platform', async () => {
    expect(await porthole('version')).toEqual({
      code: 0,
      stdout: `porthole ${version} (node ${process.version}, ${process.platform}/${process.arch})\n`,
      stderr: '',
    });
  });

  it('lists its commands with --help, and with no command at all', async () => {
    const help = await porthole('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: porthole <command> [options]');
    expect(help.stdout).toMatch(/^ {2}version +Print the version of porthole/m);
    expect(help.stdout).toMatch(/^ {2}relay serve +Run a Hybrid Connections–compatible relay/m);
    expect(await porthole()).toEqual(help);
  });

  it("shows a command's usage and examples with <command> --help", async () => {
    const result = await porthole('version', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: porthole version\n\nExamples:\n  porthole version\n');
  });

  it('exits 2 with ERR_CLI_USAGE and a hint for an unknown command', async () => {
    expect(await porthole('conect')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error ERR_CLI_USAGE: unknown command "conect"\nhint: Run "porthole --help" for the list of commands.\n',
    });
  });

  it('exits 2 when a command gets arguments it does not take', async () => {
    const result = await porthole('version', 'extra');
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'error ERR_CLI_USAGE: "version" takes no arguments (got "extra")\nhint: Run: porthole version\n',
    });
  });
});

describe('bin/porthole.js', () => {
  it('runs the CLI and sets the exit code', async () => {
    const bin = fileURLToPath(new URL('../bin/porthole.js', import.meta.url));
    const {stdout} = await promisify(execFile)(process.execPath, [bin, 'version']);
    expect(stdout).toMatch(new RegExp(`^porthole ${version.replaceAll('.', '\\.')} \\(node v`));
    await expect(promisify(execFile)(process.execPath, [bin, 'nope'])).rejects.toMatchObject({
      code: 2,
    });
  });
});
