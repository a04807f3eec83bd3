import type {TestProject} from 'vitest/node';

import {kubectl, startTestCluster} from '@porthole/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: {kubeconfigPath: string; server: string; caPem: string; token: string};
  }
}

/**
 * One real cluster for the end-to-end tests, and a service account bound to cluster-admin
 * whose token kubectl presents through the bridge (the apiserver judges it; the agent passes
 * it through).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  const admin = (args: string[]) => kubectl(cluster.kubeconfigPath, args);
  await admin(['create', 'serviceaccount', 'porthole-e2e', '-n', 'default']);
  await admin([
    'create',
    'clusterrolebinding',
    'porthole-e2e',
    '--clusterrole',
    'cluster-admin',
    '--serviceaccount',
    'default:porthole-e2e',
  ]);
  const token = await admin([
    'create',
    'token',
    'porthole-e2e',
    '-n',
    'default',
    '--duration',
    '2h',
  ]);
  if (token.code !== 0) throw new Error(`cannot mint a service-account token: ${token.stderr}`);
  project.provide('cluster', {
    kubeconfigPath: cluster.kubeconfigPath,
    server: cluster.server,
    caPem: cluster.caPem,
    token: token.stdout.trim(),
  });
  return () => cluster.stop();
}
