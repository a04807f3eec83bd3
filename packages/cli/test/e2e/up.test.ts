/**
 * `npm start` on a fresh machine: `porthole up` with no kube context that answers starts the
 * development cluster, the relay with the embedded identity provider, signs in, connects the
 * cluster with its agent, starts the bridge, and prints one kubectl line — which must answer
 * with the cluster's pods. Ctrl-C stops all of it.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, expect, it} from 'vitest';

import {freePort, kubectl} from '@porthole/testing';
import type {LineProcess} from '@porthole/testing';

import {porthole} from './processes.js';

let home: string;
let up: LineProcess;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-up-'));
});

afterAll(async () => {
  // A failed test still stops everything up started, the way Ctrl-C does.
  if (!up.exited) await up.stop('SIGINT');
  await rm(home, {recursive: true, force: true});
});

it('brings everything up, answers the printed kubectl line with the cluster pods, and stops on Ctrl-C', async () => {
  const port = await freePort();
  up = porthole(['up', '--port', String(port)], {
    PORTHOLE_HOME: home,
    // No kube context answers: up starts the development cluster itself.
    KUBECONFIG: join(home, 'no-such-kubeconfig'),
  });
  const [line = ''] = await up.line(
    /^ {2}kubectl --kubeconfig \S+ --context porthole-dev get pods -A$/,
    240_000,
  );
  const [, adminKubeconfig = ''] =
    /Try: kubectl --kubeconfig (\S+) get nodes/.exec(up.stderr) ?? [];
  expect(adminKubeconfig).not.toBe('');
  // A pod of our own, so that the answer has something to show.
  expect(
    await kubectl(adminKubeconfig, [
      'run',
      'hello',
      '--image',
      'registry.example/hello:1',
      '-n',
      'default',
    ]),
  ).toMatchObject({code: 0});

  const args = line.trim().split(/\s+/).slice(1);
  const [, kubeconfigPath = ''] = args;
  const answer = await kubectl(kubeconfigPath, args.slice(2));
  expect(answer, answer.stderr).toMatchObject({code: 0});
  expect(answer.stdout).toMatch(/^default\s+hello\s/m);
  // The demo workload up adds to the development cluster it started.
  expect(answer.stdout).toMatch(/^demo\s+hello-\S+\s/m);
  const direct = await kubectl(adminKubeconfig, ['get', 'pods', '-A', '-o', 'name']);
  const through = await kubectl(kubeconfigPath, [
    ...args.slice(2, 4),
    'get',
    'pods',
    '-A',
    '-o',
    'name',
  ]);
  expect(through.stdout).toBe(direct.stdout);
  expect(up.lines.join('\n')).toContain('Press Ctrl+C to stop everything.');

  expect(await up.stop('SIGINT')).toBe(0);
  expect(up.stderr).toContain('up: stopping…');
  // The bridge went with it.
  expect(await kubectl(kubeconfigPath, args.slice(2))).not.toMatchObject({code: 0});
}, 300_000);
