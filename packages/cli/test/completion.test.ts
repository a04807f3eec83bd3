import {execFile} from 'node:child_process';
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';

import {completions} from '../src/commands/completion.js';

const BIN = fileURLToPath(new URL('../bin/porthole.js', import.meta.url));

describe('completions', () => {
  it('offers command words, then the words that continue a command name', () => {
    expect(completions(['pro'])).toEqual(['proxy']);
    expect(completions(['relay', ''])).toEqual(['serve']);
    expect(completions([''])).toContain('account');
    expect(completions([''])).not.toContain('__complete');
  });

  it("offers a command's flags as its usage names them, leaving out those already given", () => {
    expect(completions(['proxy', 'status', '--'])).toEqual(['--port', '--query']);
    expect(completions(['login', '--client-id', 'x', '--c'])).toEqual(['--certificate']);
    expect(completions(['proxy', '--da'])).toEqual(['--daemon']);
  });

  it("offers a flag's values", () => {
    expect(completions(['account', 'show', '-o', ''])).toEqual(['table', 'json', 'yaml', 'tsv']);
    expect(completions(['agent', 'run', '--tunnel', 'w'])).toEqual(['websocket']);
  });
});

describe('porthole completion bash', () => {
  it('completes in a real bash, through porthole __complete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'porthole-completion-'));
    try {
      // `porthole` on the PATH, as an installed CLI would be.
      await writeFile(
        join(dir, 'porthole'),
        `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
      );
      await chmod(join(dir, 'porthole'), 0o755);
      const script = [
        'source <(porthole completion bash)',
        'COMP_WORDS=(porthole proxy st); COMP_CWORD=2; _porthole_complete',
        'echo "${COMPREPLY[*]}"',
        'COMP_WORDS=(porthole account show -o ""); COMP_CWORD=4; _porthole_complete',
        'echo "${COMPREPLY[*]}"',
      ].join('\n');
      const {stdout} = await promisify(execFile)('bash', ['-c', script], {
        env: {...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`},
      });
      expect(stdout).toBe('status stop\ntable json yaml tsv\n');
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });

  it('refuses another shell with a hint', async () => {
    const result = await promisify(execFile)(process.execPath, [BIN, 'completion', 'tcsh']).catch(
      (err: unknown) => err as {code: number; stderr: string},
    );
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'error ERR_CLI_USAGE: completion takes the shell: bash (got "tcsh")\nhint: Run: source <(porthole completion bash)   # zsh: autoload -U bashcompinit && bashcompinit first\n',
    });
  });
});
