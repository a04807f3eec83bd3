import {readFileSync} from 'node:fs';

/** The CLI's package version: what `porthole version` prints and the agent image is tagged with. */
export const PORTHOLE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
