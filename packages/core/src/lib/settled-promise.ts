/** A promise with its resolve and reject, as `Promise.withResolvers()` (not in Node 20) gives. */
export interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: Error) => void;
}

/**
 * A promise to settle later. With `handled`, a rejection nobody awaits is not reported as
 * unhandled: for `closed` promises that callers may ignore, as WHATWG streams do.
 */
export function withResolvers<T>(options: {handled?: boolean} = {}): Resolvers<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (options.handled === true) promise.catch(() => undefined);
  return {promise, resolve, reject};
}
