/**
 * The identity provider's HTML: the sign-in form and the pages oidc-provider lets us render
 * (device code entry and confirmation, sign-out, errors). Plain forms without scripts, so that
 * a browser and a test driving the flow with HTTP requests see the same thing.
 */

/** Response headers of every page: never cached, never framed, no scripts. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
} as const;

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f3f3f3;margin:0;padding:40px 0}' +
  'main{max-width:380px;margin:0 auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}' +
  'h1{font-size:1.4em;font-weight:600}label{display:block;margin:12px 0 4px}' +
  'input{width:100%;box-sizing:border-box;padding:6px;font-size:1em}' +
  'button{margin:16px 8px 0 0;padding:6px 20px;font-size:1em}.error{color:#a80000}' +
  'code{font-size:1.4em}';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A whole page around `body`, which must already be escaped. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>`;
}

/** What the sign-in form shows. */
export interface LoginPageOptions {
  /** Where the form posts: the interaction's own URL path. */
  action: string;
  /** The application signing the user in. */
  clientName: string;
  /** The name typed before, kept after a failed attempt. */
  login?: string;
  error?: string;
}

/**
 * The sign-in form. Fields: `username` (sign-in name or UPN), `password`, and a submit button
 * `action` = `sign-in` or `cancel`. Scripts post the same fields.
 */
export function loginPage(options: LoginPageOptions): string {
  const error =
    options.error === undefined ? '' : `<p class="error">${escapeHtml(options.error)}</p>\n`;
  return page(
    'Sign in',
    `<p>to continue to <strong>${escapeHtml(options.clientName)}</strong></p>
${error}<form method="post" action="${escapeHtml(options.action)}" autocomplete="off">
<label for="username">User name or UPN</label>
<input id="username" name="username" value="${escapeHtml(options.login ?? '')}" autofocus required>
<label for="password">Password</label>
<input id="password" name="password" type="password">
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}

/** The device code entry page around oidc-provider's form (`xsrf`, `user_code`). */
export function deviceCodeInputPage(form: string, error: string | undefined): string {
  const message = error === undefined ? 'Enter the code displayed on your device.' : error;
  return page(
    'Enter code',
    `<p${error === undefined ? '' : ' class="error"'}>${escapeHtml(message)}</p>
${form}
<button type="submit" form="op.deviceInputForm">Next</button>`,
  );
}

/** The device code confirmation page around oidc-provider's form (`xsrf`, `user_code`, `confirm`). */
export function deviceCodeConfirmPage(form: string, clientName: string, userCode: string): string {
  return page(
    'Are you trying to sign in?',
    `<p>Continue only if you started a sign-in to <strong>${escapeHtml(clientName)}</strong> and it shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Cancel</button>`,
  );
}

/** The device flow's last page. */
export function deviceCodeSuccessPage(clientName: string): string {
  return page(
    'You are signed in',
    `<p>You have signed in to <strong>${escapeHtml(clientName)}</strong> on your device. You may now close this window.</p>`,
  );
}

/** The sign-out question around oidc-provider's form (`xsrf`, `logout`). */
export function logoutPage(form: string): string {
  return page(
    'Sign out',
    `<p>Do you want to sign out?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

/** After sign-out. */
export function loggedOutPage(): string {
  return page('You signed out', '<p>You may now close this window.</p>');
}

/** An error the user agent sees (OAuth `error` and `error_description`). */
export function errorPage(error: string, description: string | undefined): string {
  return page(
    'Sorry, but we are having trouble signing you in',
    `<p class="error"><strong>${escapeHtml(error)}</strong></p>
${description === undefined ? '' : `<p>${escapeHtml(description)}</p>`}`,
  );
}
