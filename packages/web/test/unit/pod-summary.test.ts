import {describe, expect, it} from 'vitest';

import {podStatus, podSummary, toneOf} from '../../src/kube/pod-summary.js';
import type {Pod} from '../../src/kube/kube-types.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function pod(status: NonNullable<Pod['status']>, extra: Partial<Pod> = {}): Pod {
  return {
    metadata: {name: 'web-0', namespace: 'shop', creationTimestamp: '2026-01-01T11:57:00Z'},
    spec: {nodeName: 'kwok-node-0', containers: [{name: 'web'}, {name: 'proxy'}]},
    status,
    ...extra,
  };
}

describe('podSummary', () => {
  it('sums up a running pod as kubectl get pods -o wide does', () => {
    const running = pod({
      phase: 'Running',
      containerStatuses: [
        {name: 'web', ready: true, restartCount: 2, state: {running: {}}},
        {name: 'proxy', ready: false, restartCount: 1, state: {running: {}}},
      ],
    });
    expect(podSummary(running, NOW)).toEqual({
      name: 'web-0',
      namespace: 'shop',
      status: 'Running',
      tone: 'ok',
      ready: '1/2',
      restarts: 3,
      age: '3m',
      node: 'kwok-node-0',
      containers: ['web', 'proxy'],
    });
  });

  it('shows "-" for the node of a pod not yet scheduled', () => {
    expect(podSummary(pod({phase: 'Pending'}, {spec: {}}), NOW)).toMatchObject({
      status: 'Pending',
      tone: 'warning',
      ready: '0/0',
      node: '-',
    });
  });
});

describe('podStatus', () => {
  it("names a waiting container's reason", () => {
    const crashing = pod({
      phase: 'Running',
      containerStatuses: [
        {name: 'web', state: {waiting: {reason: 'CrashLoopBackOff'}}},
        {name: 'proxy', ready: true, state: {running: {}}},
      ],
    });
    expect(podStatus(crashing)).toBe('CrashLoopBackOff');
  });

  it('says Terminating once the pod is being deleted, whatever its phase', () => {
    const deleting = pod(
      {phase: 'Running'},
      {metadata: {name: 'web-0', deletionTimestamp: '2026-01-01T11:59:00Z'}},
    );
    expect(podStatus(deleting)).toBe('Terminating');
  });

  it('counts init containers while they run, and names a failed one', () => {
    const spec = {containers: [{name: 'web'}], initContainers: [{name: 'a'}, {name: 'b'}]};
    expect(
      podStatus(
        pod(
          {
            phase: 'Pending',
            initContainerStatuses: [
              {name: 'a', state: {terminated: {exitCode: 0}}},
              {name: 'b', state: {running: {}}},
            ],
          },
          {spec},
        ),
      ),
    ).toBe('Init:1/2');
    expect(
      podStatus(
        pod(
          {
            phase: 'Pending',
            initContainerStatuses: [{name: 'a', state: {terminated: {exitCode: 3}}}],
          },
          {spec},
        ),
      ),
    ).toBe('Init:ExitCode:3');
  });

  it('keeps Running for a pod with a finished container beside one that serves', () => {
    const mixed = pod({
      phase: 'Running',
      containerStatuses: [
        {name: 'web', ready: true, state: {running: {}}},
        {name: 'proxy', state: {terminated: {reason: 'Completed', exitCode: 0}}},
      ],
    });
    expect(podStatus(mixed)).toBe('Running');
  });
});

describe('toneOf', () => {
  it.each([
    ['Running', 'ok'],
    ['Succeeded', 'ok'],
    ['Completed', 'neutral'],
    ['Terminating', 'neutral'],
    ['Pending', 'warning'],
    ['ContainerCreating', 'warning'],
    ['Init:0/1', 'warning'],
    ['CrashLoopBackOff', 'danger'],
    ['ImagePullBackOff', 'danger'],
    ['ExitCode:137', 'danger'],
    ['Init:CrashLoopBackOff', 'danger'],
  ])('gives %s the %s tone', (status, tone) => {
    expect(toneOf(status)).toBe(tone);
  });
});
