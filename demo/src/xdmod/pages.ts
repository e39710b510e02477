/**
 * The people's side of the demo XDMoD portal: plain HTML, no scripts, no external assets.
 */
import {
  htmlPage,
  ISignInState,
  jupyterLink,
  newTokenNotice,
  signInForm,
  statusMessage
} from '../html';
import { escapeHtml as e } from '../http';
import type { IDemoUser } from '../users';

/** The sign-in page. */
export function signInPage(options: ISignInState): string {
  return layout(
    'Sign in',
    `<h1>Sign in to Open XDMoD (demo)</h1>
${signInForm({
  ...options,
  action: '/rest/auth/login',
  errorId: 'signin-error',
  button: 'Sign in',
  hidden: { redirect: '1' }
})}`
  );
}

/** The home page of a signed-in user. */
export function homePage(options: {
  user: IDemoUser;
  /** Whether JupyterLab is served under /jupyter/. */
  jupyter: boolean;
}): string {
  return layout(
    'Open XDMoD (demo)',
    `<h1>Open XDMoD (demo)</h1>
<p>Signed in as ${e(options.user.username)} (${e(options.user.name)})</p>
<nav aria-label="Portal">
<ul>
  ${jupyterLink(options.jupyter)}
  <li><a href="/profile/api-token">API token</a></li>
</ul>
</nav>
${signOutForm()}`
  );
}

/** The "My Profile → API Token" page. */
export function tokenPage(options: {
  user: IDemoUser;
  /** The token record, when the user has one. */
  token?: { createdOn: string; expiresOn: string; expired: boolean };
  /** A token just generated: shown once. */
  newToken?: string;
  /** A status message after an action. */
  message?: string;
}): string {
  const state = options.token
    ? `<p>You have an API token${options.token.expired ? ' (expired)' : ''}.</p>
<dl>
  <dt>Created</dt><dd>${e(options.token.createdOn)}</dd>
  <dt>Expires</dt><dd>${e(options.token.expiresOn)}</dd>
</dl>
<form method="post" action="/profile/api-token">
  <input type="hidden" name="action" value="delete">
  <button type="submit">Delete API token</button>
</form>`
    : `<p>You have no API token.</p>
<form method="post" action="/profile/api-token">
  <input type="hidden" name="action" value="create">
  <button type="submit">Generate API token</button>
</form>`;
  return layout(
    'API token',
    `<h1>API token</h1>
<p>Signed in as ${e(options.user.username)}</p>
${statusMessage(options.message)}
${newTokenNotice(options.newToken)}
${state}
<p><a href="/">Back to the portal</a></p>`
  );
}

/** A small "not found" page. */
export function notFoundPage(): string {
  return layout(
    'Not found',
    '<h1>Not found</h1><p><a href="/">Back to the portal</a></p>'
  );
}

function signOutForm(): string {
  return `<form method="post" action="/rest/auth/logout">
  <input type="hidden" name="redirect" value="1">
  <button type="submit">Sign out</button>
</form>`;
}

function layout(title: string, body: string): string {
  return htmlPage({
    title,
    style: [
      'body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }',
      'label { display: inline-block; min-width: 6rem; }',
      '.error { color: #a4000f; font-weight: bold; }',
      '.hint { color: #555; }',
      'code { word-break: break-all; }'
    ],
    body
  });
}
