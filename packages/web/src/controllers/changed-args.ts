/**
 * The arguments a controller last acted on — a watch's, a stream's, a session's target — so
 * that it starts again only when they change (`Object.is`, element by element).
 */
export class ChangedArgs {
  #last: readonly unknown[] | undefined;

  /** Forgets them: the host left, or will act afresh. */
  forget(): void {
    this.#last = undefined;
  }

  /**
   * Whether `args` differ from the last ones; `undefined` means no target. Remembers them.
   */
  changed(args: readonly unknown[] | undefined): boolean {
    const last = this.#last;
    const same =
      args === undefined || last === undefined
        ? args === last
        : args.length === last.length &&
          args.every((value, index) => Object.is(value, last[index]));
    this.#last = args;
    return !same;
  }
}
