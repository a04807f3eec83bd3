import {CliUsageError} from './errors.js';

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The cluster named by `-n`.
 *
 * @throws CliUsageError when it is missing or cannot name a cluster
 */
export function clusterName(value: string | undefined, hint: string): string {
  if (value === undefined) throw new CliUsageError('-n <cluster> is required', hint);
  if (!CLUSTER_NAME.test(value)) {
    throw new CliUsageError(
      `-n must be a cluster name: 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${JSON.stringify(value)})`,
      hint,
    );
  }
  return value;
}
