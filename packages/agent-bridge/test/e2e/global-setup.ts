import type {TestProject} from 'vitest/node';

import {startSharedCluster} from '@porthole/testing';
import type {SharedCluster} from '@porthole/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: SharedCluster;
  }
}

/** One real cluster for this package's end-to-end tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const {cluster, stop} = await startSharedCluster('porthole-e2e');
  project.provide('cluster', cluster);
  return stop;
}
