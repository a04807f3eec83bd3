import {defineProject} from 'vitest/config';

export default defineProject({
  test: {
    name: 'web',
    include: ['test/**/*.test.ts'],
    // The end-to-end tests share one cluster, relay and agent, and drive one Chromium at a
    // time: one file at a time on 2 cores.
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
