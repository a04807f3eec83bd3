import {homedir} from 'node:os';
import {join} from 'node:path';

import type {CliContext} from './command.js';

/** Where porthole keeps its files: `$PORTHOLE_HOME`, default `~/.porthole`. */
export function dataDir(context: CliContext): string {
  return context.env.PORTHOLE_HOME || join(homedir(), '.porthole');
}
