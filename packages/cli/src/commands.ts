import type {CommandDescriptor} from './command.js';

/** Every `porthole` verb, in the order `porthole --help` lists them. */
export const COMMANDS: readonly CommandDescriptor[] = [
  {
    name: 'version',
    summary: 'Print the version of porthole and of the runtime it runs on',
    usage: 'porthole version',
    examples: ['porthole version'],
    load: () => import('./commands/version.js'),
  },
];
