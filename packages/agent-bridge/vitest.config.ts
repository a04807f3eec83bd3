import {defineProject} from 'vitest/config';

export default defineProject({
  test: {name: 'agent-bridge', include: ['test/**/*.test.ts']},
});
