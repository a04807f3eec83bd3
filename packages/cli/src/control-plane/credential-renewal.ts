import type {CliContext} from '../command.js';

/**
 * Keeps a relay token fresh: a new one from the control plane when a third of the current
 * one's life (at most five minutes) is left, handed to `apply`; failures are retried every
 * ten seconds, and said on stderr, until the token runs out.
 */
export class CredentialRenewal {
  #expiresAt: number;
  readonly #fetch: () => Promise<{token: string; expirationTime: number}>;

  constructor(
    expirationTime: number,
    fetch: () => Promise<{token: string; expirationTime: number}>,
  ) {
    this.#expiresAt = expirationTime * 1000;
    this.#fetch = fetch;
  }

  start(apply: (token: string) => Promise<void>, context: CliContext): {stop(): void} {
    let timer: NodeJS.Timeout | undefined;
    let issuedAt = Date.now();
    const schedule = (delayMs: number) => {
      timer = setTimeout(() => void renew(), Math.max(0, delayMs));
      timer.unref();
    };
    const renew = async () => {
      try {
        const next = await this.#fetch();
        await apply(next.token);
        issuedAt = Date.now();
        this.#expiresAt = next.expirationTime * 1000;
        schedule(this.#renewAt(issuedAt) - Date.now());
      } catch (err) {
        context.stderr.write(
          `proxy: cannot renew the relay credential yet (${(err as {code?: string}).code ?? (err as Error).message}); retrying\n`,
        );
        schedule(10_000);
      }
    };
    schedule(this.#renewAt(issuedAt) - Date.now());
    return {stop: () => clearTimeout(timer)};
  }

  #renewAt(issuedAt: number): number {
    const life = this.#expiresAt - issuedAt;
    return this.#expiresAt - Math.min(300_000, life / 3);
  }
}
