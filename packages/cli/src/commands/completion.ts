import type {CliContext} from '../command.js';
import {COMMANDS} from '../commands.js';
import {CliUsageError, ExitCode} from '../errors.js';

/**
 * The bash completion script. Each TAB asks `porthole __complete` for the candidates, so
 * completion always knows the commands and flags of the porthole on the PATH. zsh takes it
 * through `bashcompinit`.
 */
const BASH = `# porthole completion for bash: source <(porthole completion bash)
_porthole_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(porthole __complete "\${COMP_WORDS[@]:1:$COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _porthole_complete porthole
`;

/** `porthole completion bash`: prints the completion script. */
export function run(args: readonly string[], context: CliContext): Promise<number> {
  if (args.length !== 1 || args[0] !== 'bash') {
    throw new CliUsageError(
      `completion takes the shell: bash (got ${JSON.stringify(args.join(' '))})`,
      'Run: source <(porthole completion bash)   # zsh: autoload -U bashcompinit && bashcompinit first',
    );
  }
  context.stdout.write(BASH);
  return Promise.resolve(ExitCode.OK);
}

/** Values some flags take, offered after the flag. */
const FLAG_VALUES: Record<string, readonly string[]> = {
  '--output': ['table', 'json', 'yaml', 'tsv'],
  '-o': ['table', 'json', 'yaml', 'tsv'],
  '--tunnel': ['auto', 'mux', 'websocket'],
  '--entra-user-name': ['oid', 'upn'],
};

/**
 * The candidates for the last word of a command line (the words after `porthole`): command
 * words first, then the command's flags as its usage names them, or a flag's values.
 */
export function completions(words: readonly string[]): string[] {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const command = [...COMMANDS]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .filter((candidate) => !candidate.hidden)
    .find((candidate) => candidate.name.split(' ').every((word, i) => before[i] === word));
  // Words that continue a command name ("proxy" → "status"), when no flag came yet.
  const next = [
    ...new Set(
      COMMANDS.filter(
        (candidate) =>
          !candidate.hidden && before.every((word, i) => candidate.name.split(' ')[i] === word),
      ).flatMap((candidate) => candidate.name.split(' ')[before.length] ?? []),
    ),
  ]
    .filter((word) => word.startsWith(current))
    .sort();
  if (!command) return next;
  const previous = before.at(-1) ?? '';
  const values = FLAG_VALUES[previous];
  if (values && command.usage.includes(previous))
    return values.filter((value) => value.startsWith(current));
  const flags = new Set(
    [...command.usage.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])\b/g)].map((m) => m[1] ?? ''),
  );
  return [
    ...next,
    ...[...flags].filter((flag) => flag.startsWith(current) && !before.includes(flag)).sort(),
  ];
}
