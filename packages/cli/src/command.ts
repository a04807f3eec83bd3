import type {Writable} from 'node:stream';

/** Where a command runs and what it may touch; injected so that tests need no globals. */
export interface CliContext {
  /** Mandatory, so that every test states it. */
  cwd: string;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Set by `--debug`: sent to the relay with every call, so that its log and ours match. */
  correlationId?: string;
}

/** A command's implementation: loaded only when the command runs. */
export interface CommandModule {
  run(args: readonly string[], context: CliContext): Promise<number>;
}

/** What `--help` shows about a command, kept apart from its implementation. */
export interface CommandDescriptor {
  name: string;
  summary: string;
  usage: string;
  examples: readonly string[];
  /** Left out of `porthole --help` and of completion: machinery, not a verb for people. */
  hidden?: boolean;
  load(): Promise<CommandModule>;
}
