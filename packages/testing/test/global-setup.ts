import type {TestProject} from 'vitest/node';

import {startTestCluster} from '../src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: {
      kubeconfigPath: string;
      server: string;
      caPem: string;
      auditLogPath: string;
      nodeNames: string[];
      version: string;
    };
  }
}

/** One cluster for the package's tests that share it; stopped when they end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startTestCluster();
  project.provide('cluster', {
    kubeconfigPath: cluster.kubeconfigPath,
    server: cluster.server,
    caPem: cluster.caPem,
    auditLogPath: cluster.auditLogPath,
    nodeNames: cluster.nodeNames,
    version: cluster.versions.kubernetes,
  });
  return () => cluster.stop();
}
