/**
 * A word as a POSIX shell reads it back: as it is when it holds only characters no shell
 * treats specially, otherwise in single quotes (a quote inside as `'\''`). For the commands
 * Porthole prints for people to copy.
 *
 * @example
 *   shellWord('/home/ada/.porthole/bridge/kubeconfig'); // '/home/ada/.porthole/bridge/kubeconfig'
 *   shellWord("/Users/Ada's Mac/kubeconfig"); // `'/Users/Ada'\''s Mac/kubeconfig'`
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./~-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
