import type {IncomingMessage, ServerResponse} from 'node:http';

import type {Interaction, Provider} from 'oidc-provider';

import type {RelayLogger} from '../options.js';
import type {DirectoryIndex} from './directory-index.js';
import {hasContentType, readBody, sendPage} from './http-io.js';
import {errorPage, loginPage} from './pages.js';

/** What the sign-in pages need. */
export interface SignInInteractionOptions {
  /** The current provider: a key rotation replaces it, sessions and interactions stay. */
  provider: () => Provider;
  directory: DirectoryIndex;
  /** The URL path of an interaction's page, where its form posts. */
  loginPath: (uid: string) => string;
  maxRequestBodyBytes: number;
  log: RelayLogger;
}

/**
 * The interaction pages oidc-provider sends the user agent to (`interactions.url`), for the
 * authorization code and device code flows alike:
 *
 * - prompt `login`: a form asking for the user's sign-in name or UPN and, if the seed gives the
 *   user one, the password (GET shows it, POST checks it);
 * - prompt `consent`: granted at once, without a page, as an Entra tenant whose administrator
 *   consented for every user. oidc-provider asks it of native clients on every authorization
 *   (`native_client_prompt`) and whenever new scopes are requested.
 */
export class SignInInteraction {
  readonly #options: SignInInteractionOptions;

  constructor(options: SignInInteractionOptions) {
    this.#options = options;
  }

  /**
   * Answers a request to the interaction page.
   *
   * @param uid the interaction id from the path; it must match the interaction cookie
   */
  async handle(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const provider = this.#options.provider();
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch {
      this.#expired(res);
      return;
    }
    if (interaction.uid !== uid) {
      this.#expired(res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendPage(res, 405, errorPage('method_not_allowed', 'Use GET or POST.'), {
        allow: 'GET, POST',
      });
      return;
    }
    switch (interaction.prompt.name) {
      case 'login':
        if (req.method === 'GET') {
          await this.#showLogin(res, interaction, provider, 200);
        } else {
          await this.#submitLogin(req, res, interaction, provider);
        }
        return;
      case 'consent':
        await this.#consent(req, res, interaction, provider);
        return;
      default:
        sendPage(
          res,
          400,
          errorPage('interaction_required', `Unsupported prompt "${interaction.prompt.name}".`),
        );
    }
  }

  async #showLogin(
    res: ServerResponse,
    interaction: Interaction,
    provider: Provider,
    status: number,
    failed?: {login: string; error: string},
  ): Promise<void> {
    const clientId = String(interaction.params.client_id);
    const client = await provider.Client.find(clientId);
    sendPage(
      res,
      status,
      loginPage({
        action: this.#options.loginPath(interaction.uid),
        clientName: client?.clientName ?? clientId,
        ...failed,
      }),
    );
  }

  async #submitLogin(
    req: IncomingMessage,
    res: ServerResponse,
    interaction: Interaction,
    provider: Provider,
  ): Promise<void> {
    const raw = hasContentType(req, 'application/x-www-form-urlencoded')
      ? await readBody(req, this.#options.maxRequestBodyBytes)
      : Buffer.alloc(0);
    if (raw === undefined) {
      sendPage(res, 413, errorPage('invalid_request', 'The form is too large.'), {
        connection: 'close',
      });
      return;
    }
    const form = new URLSearchParams(raw.toString('utf8'));
    const clientId = String(interaction.params.client_id);
    if (form.get('action') === 'cancel') {
      await provider.interactionFinished(
        req,
        res,
        {error: 'access_denied', error_description: 'The user cancelled the sign-in.'},
        {mergeWithLastSubmission: false},
      );
      return;
    }
    const login = form.get('username') ?? '';
    const user = this.#options.directory.authenticate(login, form.get('password') ?? '');
    if (!user) {
      this.#options.log('identity.sign-in-refused', {client: clientId, grant: 'interactive'});
      await this.#showLogin(res, interaction, provider, 401, {
        login,
        error: 'Unknown user name, or wrong password.',
      });
      return;
    }
    this.#options.log('identity.signed-in', {
      user: user.objectId,
      client: clientId,
      grant: 'interactive',
    });
    await provider.interactionFinished(
      req,
      res,
      {login: {accountId: user.objectId}},
      {mergeWithLastSubmission: false},
    );
  }

  /** Grants what the prompt found missing, to the grant the client already has or a new one. */
  async #consent(
    req: IncomingMessage,
    res: ServerResponse,
    interaction: Interaction,
    provider: Provider,
  ): Promise<void> {
    const accountId = interaction.session?.accountId;
    if (accountId === undefined) {
      this.#expired(res);
      return;
    }
    const existing =
      interaction.grantId === undefined
        ? undefined
        : await provider.Grant.find(interaction.grantId);
    const grant =
      existing ?? new provider.Grant({accountId, clientId: String(interaction.params.client_id)});
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope);
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes);
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      {consent: existing ? {} : {grantId}},
      {mergeWithLastSubmission: true},
    );
  }

  #expired(res: ServerResponse): void {
    sendPage(
      res,
      400,
      errorPage(
        'invalid_request',
        'The sign-in session was not found or has expired. Start the sign-in again.',
      ),
    );
  }
}
