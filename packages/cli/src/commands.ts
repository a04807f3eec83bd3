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
  {
    name: 'relay serve',
    summary: 'Run a Hybrid Connections–compatible relay',
    usage:
      'porthole relay serve [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--data-dir DIR] [--hybrid-connection NAME]... [--sas-key RULE=KEY]...',
    examples: [
      'porthole relay serve --listen 127.0.0.1:0 --hybrid-connection clusters/dev --sas-key dev=s3cret',
      'porthole relay serve --listen 0.0.0.0:443 --tls-cert relay.crt --tls-key relay.key --data-dir /var/lib/porthole',
    ],
    load: () => import('./commands/relay-serve.js'),
  },
];
