import {describe, expect, it} from 'vitest';

import {LineProcess} from '../src/index.js';

const node = process.execPath;

describe('LineProcess', () => {
  it('waits for a line on stdout and keeps stderr', async () => {
    const child = LineProcess.start(node, [
      '-e',
      'console.error("warming up"); setTimeout(() => console.log("ready on 4242"), 100); setInterval(() => {}, 1000)',
    ]);
    const [, port] = await child.line(/^ready on (\d+)$/);
    expect(port).toBe('4242');
    expect(child.stderr).toBe('warming up\n');
    expect(child.pid).toBeGreaterThan(0);
    expect(await child.stop()).toBeNull();
    expect(child.child.signalCode).toBe('SIGTERM');
  });

  it('passes its environment on, and reports the exit code', async () => {
    const child = LineProcess.start(
      node,
      ['-e', 'console.log(process.env.PROBE); process.exit(3)'],
      {
        PROBE: 'from-the-test',
      },
    );
    expect(await child.exit()).toBe(3);
    expect(child.lines).toEqual(['from-the-test']);
  });

  it('fails with the output when the process ends without the line', async () => {
    const child = LineProcess.start(node, ['-e', 'console.log("no"); console.error("broken")']);
    await expect(child.line(/^ready/)).rejects.toThrow(
      /printed no line like \/\^ready\/; stdout: no; stderr: broken/,
    );
  });

  it('fails when the line does not come in time', async () => {
    const child = LineProcess.start(node, ['-e', 'setInterval(() => {}, 1000)']);
    await expect(child.line(/^ready/, 200)).rejects.toThrow(/printed no line/);
    await child.stop();
  });
});
