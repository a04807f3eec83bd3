import {readFileSync} from 'node:fs';

/** The agent's version, `@porthole/agent-bridge`'s: what its heartbeats report. */
export const AGENT_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
