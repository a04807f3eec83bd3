/**
 * Kept-alive tunnelled connections in the bridge's pool: let go before the agent's idle
 * timeout, and dropped as soon as the agent closes them, so that the next kubectl request takes
 * a live connection instead of failing on a dead one.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, expect, inject, it} from 'vitest';

import {startHarness} from './harness.js';
import type {Harness} from './harness.js';

const cluster = inject('cluster');
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function getDefaultNamespace(current: Harness): Promise<void> {
  const result = await current.kubectl(['get', 'namespace', 'default', '-o', 'name']);
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('namespace/default');
}

async function connectionsDropTo(current: Harness, count: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (current.agent.connections > count && Date.now() < deadline) await sleep(50);
  return current.agent.connections;
}

it.each(['websocket', 'mux'] as const)(
  'lets idle connections go before the agent times them out (%s)',
  async (mode) => {
    // The agent announces `Keep-Alive: timeout=5`; the bridge lets go a second earlier.
    harness = await startHarness(cluster, mode, {idleTimeoutMs: 5500});
    await getDefaultNamespace(harness);
    expect(harness.agent.connections).toBeGreaterThan(0);
    const started = Date.now();
    expect(await connectionsDropTo(harness, 0)).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    await getDefaultNamespace(harness);
  },
);

it.each(['websocket', 'mux'] as const)(
  'drops pooled connections the agent closed, and serves the next request (%s)',
  async (mode) => {
    harness = await startHarness(cluster, mode);
    await getDefaultNamespace(harness);
    expect(harness.agent.connections).toBeGreaterThan(0);
    // A new agent (a rolling update): the old one closes every connection at once.
    await harness.agent.stop({drainMs: 0});
    await harness.restartAgent();
    for (let i = 0; i < 3; i++) await getDefaultNamespace(harness);
  },
);
