import {randomUUID} from 'node:crypto';

import type {CliContext, CommandDescriptor} from './command.js';
import {COMMANDS} from './commands.js';
import {CliUsageError, ExitCode} from './errors.js';

/**
 * The `porthole` command line, testable without a process: every output goes to the injected
 * streams, and `run()` resolves with the exit code instead of exiting.
 *
 * @example
 *   const code = await new Cli(['version'], {cwd: process.cwd(), stdout, stderr, env: {}}).run();
 */
export class Cli {
  readonly #args: readonly string[];
  readonly #context: CliContext;

  constructor(args: readonly string[], context: CliContext) {
    this.#args = args;
    this.#context = context;
  }

  /** Runs the command and resolves with its exit code; it never rejects. */
  async run(): Promise<number> {
    const [name] = this.#args;
    const verbose = this.#args.includes('--verbose') || this.#args.includes('--debug');
    try {
      if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        this.#context.stdout.write(overview());
        return ExitCode.OK;
      }
      // Verbs are one or two words ("version", "relay serve"); the longest match wins.
      const command = BY_LENGTH.find((candidate) => {
        const words = candidate.name.split(' ');
        return words.every((word, i) => this.#args[i] === word);
      });
      const rest = this.#args.slice(command ? command.name.split(' ').length : 1);
      if (!command) {
        throw new CliUsageError(
          `unknown command ${JSON.stringify(name)}`,
          'Run "porthole --help" for the list of commands.',
        );
      }
      if (!command.hidden && (rest.includes('--help') || rest.includes('-h'))) {
        this.#context.stdout.write(commandHelp(command));
        return ExitCode.OK;
      }
      const implementation = await command.load();
      let context = this.#context;
      if (rest.includes('--debug')) {
        // One id for this command's calls, in the relay's log and the agent's as well.
        context = {...context, correlationId: randomUUID()};
        context.stderr.write(`debug: correlation id ${context.correlationId ?? ''}\n`);
      }
      return await implementation.run(
        rest.filter((arg) => arg !== '--verbose' && arg !== '--debug'),
        context,
      );
    } catch (err) {
      return this.#report(err, verbose);
    }
  }

  #report(err: unknown, verbose: boolean): number {
    const {stderr} = this.#context;
    if (err instanceof CliUsageError) {
      stderr.write(`error ${err.code}: ${err.message}\nhint: ${err.hint}\n`);
      return ExitCode.USAGE;
    }
    const code =
      typeof err === 'object' && err !== null && 'code' in err
        ? String(err.code)
        : 'ERR_UNEXPECTED';
    const message = err instanceof Error ? err.message : String(err);
    stderr.write(`error ${code}: ${message}\n`);
    const hint = typeof err === 'object' && err !== null && 'hint' in err ? err.hint : undefined;
    if (typeof hint === 'string') stderr.write(`hint: ${hint}\n`);
    if (verbose && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
    return ExitCode.FAILURE;
  }
}

/** Commands with more words first, so that the longest match wins. */
const BY_LENGTH = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.filter((command) => !command.hidden).map(
    (command) => `  ${command.name.padEnd(width)}  ${command.summary}`,
  );
  return `porthole: reach Kubernetes clusters behind firewalls through an outbound-only relay

Usage: porthole <command> [options]

Commands:
${lines.join('\n')}

Run "porthole <command> --help" for a command's options and examples.
`;
}

function commandHelp(command: CommandDescriptor): string {
  return `${command.summary}

Usage: ${command.usage}

Examples:
${command.examples.map((example) => `  ${example}`).join('\n')}
`;
}
