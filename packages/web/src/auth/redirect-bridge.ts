// redirect.html: where the identity provider sends the browser back after a sign-in. MSAL v5
// hands the answer to the page that started it: through a BroadcastChannel to the main window
// for a pop-up (then closes it), or by navigating back to the page for a redirect. Either way
// the answer is removed from this page's URL first.
import {broadcastResponseToMainFrame} from '@azure/msal-browser/redirect-bridge';

broadcastResponseToMainFrame().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  document.body.textContent = `The sign-in could not be completed: ${message}`;
});
