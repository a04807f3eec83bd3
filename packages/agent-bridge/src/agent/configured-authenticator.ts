import type {Logger} from '../log.js';
import {passThrough} from './authenticator.js';
import type {AuthDecision, AuthRequest, Authenticator} from './authenticator.js';
import type {AgentConfiguration} from './control-plane-client.js';

/** The Entra settings of a configuration: which tokens the agent accepts (`null`: none). */
export type EntraSettings = AgentConfiguration['entra'];

/** Builds the authentication stage for Entra settings (never called with `null`). */
export type AuthenticatorFactory = (
  entra: NonNullable<EntraSettings>,
) => Promise<Authenticator> | Authenticator;

/**
 * The agent's authentication stage as the control plane configures it: Entra validation with
 * the settings of the latest configuration, or pass-through when it has none. When a heartbeat
 * brings other settings (the relay's operator changed tenants, issuers or audiences), a new
 * stage is built and takes over the next requests; requests under way finish with the old one.
 * A stage that cannot be built is logged, the previous one stays, and the next heartbeat tries
 * again.
 *
 * @example
 *   const stage = await ConfiguredAuthenticator.create(configuration.entra, build, log);
 *   const agent = await Agent.start({..., authenticator: stage});
 *   AgentHeartbeat.start({..., onConfiguration: (current) => stage.configure(current.entra)});
 */
export class ConfiguredAuthenticator implements Authenticator {
  readonly #build: AuthenticatorFactory;
  readonly #log: Logger;
  #current: Authenticator;
  /** The settings of the current stage, as JSON. */
  #applied: string;
  /** The settings last asked for, as JSON: what a configuration is compared with. */
  #wanted: string;
  #updating: Promise<void> = Promise.resolve();

  private constructor(
    current: Authenticator,
    wanted: EntraSettings,
    build: AuthenticatorFactory,
    log: Logger,
  ) {
    this.#current = current;
    this.#applied = JSON.stringify(wanted);
    this.#wanted = this.#applied;
    this.#build = build;
    this.#log = log;
  }

  /**
   * The stage for the first configuration.
   *
   * @throws what `build` throws: an agent that cannot judge tokens does not start
   */
  static async create(
    entra: EntraSettings,
    build: AuthenticatorFactory,
    log: Logger,
  ): Promise<ConfiguredAuthenticator> {
    const first = entra === null ? passThrough : await build(entra);
    return new ConfiguredAuthenticator(first, entra, build, log);
  }

  /** Settles once the settings last given to {@link configure} are applied (or refused). */
  get settled(): Promise<void> {
    return this.#updating;
  }

  authenticate(request: AuthRequest): Promise<AuthDecision> {
    return this.#current.authenticate(request);
  }

  /** Takes the settings of a configuration; a change builds and swaps the stage. */
  configure(entra: EntraSettings): void {
    const wanted = JSON.stringify(entra);
    if (wanted === this.#wanted) return;
    this.#wanted = wanted;
    this.#updating = this.#updating.then(async () => {
      try {
        const next = entra === null ? passThrough : await this.#build(entra);
        // A later change may have been asked for meanwhile: it applies after this one.
        this.#current = next;
        this.#applied = wanted;
        this.#log('agent.sign-in-changed', {
          accepting: entra === null ? 'pass-through' : 'entra',
          ...(entra === null ? {} : {issuers: entra.issuers, audiences: entra.audiences}),
        });
      } catch (err) {
        // Asked again by the next configuration with these settings, unless others came since.
        if (this.#wanted === wanted) this.#wanted = this.#applied;
        this.#log('agent.sign-in-change-failed', {
          code: (err as {code?: unknown}).code,
          error: (err as Error).message,
          hint: 'The agent keeps judging tokens by the previous settings.',
        });
      }
    });
  }
}
