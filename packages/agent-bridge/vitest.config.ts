import {defineProject} from 'vitest/config';

export default defineProject({
  test: {
    name: 'agent-bridge',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    // A real cluster, relays and kubectl processes: one file at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
