import {defineConfig} from 'vitest/config';

// `npx vitest` at the root runs every package's tests as one run; `npm test` runs them per
// package through turbo, in dependency order and with caching.
export default defineConfig({
  test: {projects: ['packages/*/vitest.config.ts']},
});
