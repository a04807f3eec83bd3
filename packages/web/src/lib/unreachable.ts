/** For the `default` of a `switch` that covers every case: a compile error if one is missed. */
export function unreachable(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}
