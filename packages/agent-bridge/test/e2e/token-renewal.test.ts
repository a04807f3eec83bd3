/**
 * Long-lived kubectl streams outlive the relay tokens they started under. A mux connection is
 * held to its token's expiry (PROTOCOL.md §6.5); the agent's listener and the bridge's dialer
 * renew their tokens in place with RENEW (§3.7), so a `kubectl get -w` through bridge → relay →
 * agent keeps receiving events across many token lifetimes. Against a relay without RENEW they
 * fall back to replacing their connections, and kubectl keeps working.
 */
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, expect, inject, it, onTestFinished} from 'vitest';

import {kubectl, kubectlPath} from '@porthole/testing';

import {startHarness} from './harness.js';
import type {Harness} from './harness.js';

const cluster = inject('cluster');
const admin = (args: string[]) => kubectl(cluster.kubeconfigPath, args);

/** Seconds the agent's and the bridge's tokens live. */
const LIFETIME_SECONDS = 4;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function count(current: Harness, event: string, role?: string): number {
  return current.relayLog.filter(
    (entry) => entry.event === event && (role === undefined || entry.role === role),
  ).length;
}

/** `kubectl get configmaps -w` through the bridge, in the background; its lines as they come. */
function watchConfigMaps(current: Harness, namespace: string) {
  const child = spawn(
    kubectlPath('kubectl'),
    [
      '--kubeconfig',
      current.kubeconfigPath,
      '-n',
      namespace,
      'get',
      'configmaps',
      '-w',
      '-o',
      'name',
    ],
    {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, KUBECONFIG: ''}},
  );
  const lines: string[] = [];
  let stderr = '';
  createInterface({input: child.stdout}).on('line', (line) => lines.push(line));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
  });
  return {
    lines,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async waitFor(line: string): Promise<void> {
      for (let i = 0; i < 200; i++) {
        if (lines.includes(line)) return;
        if (child.exitCode !== null) break;
        await sleep(25);
      }
      throw new Error(`the watch did not print ${line}; it printed ${lines.join(', ')}; ${stderr}`);
    },
  };
}

it('keeps a watch through bridge → relay → agent alive across many token lifetimes (mux, renewed in place)', async () => {
  // A drain of half a second: without renewal the watch would die a moment after the first expiry.
  harness = await startHarness(
    cluster,
    'mux',
    {},
    {
      tokenLifetimeSeconds: LIFETIME_SECONDS,
      muxDrainTimeoutMs: 500,
    },
  );
  const namespace = 'e2e-renewal';
  await admin(['create', 'namespace', namespace]);
  onTestFinished(async () => {
    await admin(['delete', 'namespace', namespace, '--wait=false']);
  });
  const watch = watchConfigMaps(harness, namespace);

  const started = Date.now();
  for (let tick = 0; Date.now() - started < 4 * LIFETIME_SECONDS * 1000; tick++) {
    expect(await admin(['-n', namespace, 'create', 'configmap', `tick-${tick}`])).toMatchObject({
      code: 0,
    });
    await watch.waitFor(`configmap/tick-${tick}`);
    await sleep(500);
  }
  expect(watch.running).toBe(true);

  // One mux connection on each side for the whole run, renewed in place every lifetime or so.
  expect(count(harness, 'mux.listener-connected')).toBe(1);
  expect(count(harness, 'mux.client-connected')).toBe(1);
  expect(count(harness, 'mux.token-expired')).toBe(0);
  expect(count(harness, 'mux.renewed', 'listener')).toBeGreaterThanOrEqual(3);
  expect(count(harness, 'mux.renewed', 'client')).toBeGreaterThanOrEqual(3);
});

it('keeps kubectl working against a relay without RENEW, by replacing connections', async () => {
  harness = await startHarness(
    cluster,
    'mux',
    {},
    {
      tokenLifetimeSeconds: LIFETIME_SECONDS,
      muxRenewal: false,
      muxDrainTimeoutMs: 2000,
    },
  );
  const started = Date.now();
  while (Date.now() - started < 3 * LIFETIME_SECONDS * 1000) {
    const result = await harness.kubectl(['get', 'namespace', 'default', '-o', 'name']);
    expect(result).toMatchObject({code: 0, stdout: 'namespace/default\n'});
    await sleep(500);
  }
  expect(count(harness, 'mux.renewed')).toBe(0);
  // The agent replaced its listener connection before each expiry.
  expect(count(harness, 'mux.listener-connected')).toBeGreaterThanOrEqual(3);
  expect(harness.relayLog).toContainEqual(
    expect.objectContaining({event: 'mux.client-connected', version: 1}),
  );
});
