/**
 * The exhaustive end of a `switch` (STYLE §6): it compiles only when every case is handled, and
 * throws if a value the types rule out turns up at run time anyway.
 */
export function unreachable(value: never): never {
  throw new Error(`Unreachable: ${String(value)}`);
}
