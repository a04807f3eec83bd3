export {Cli} from './cli.js';
export type {CliContext} from './command.js';
export {CliUsageError, ExitCode} from './errors.js';
export type {CliErrorCode} from './errors.js';
