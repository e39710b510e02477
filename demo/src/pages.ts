/**
 * The people's side of the demo XDMoD portal: plain HTML, no scripts, no external assets.
 */
import { escapeHtml as e } from './http';
import type { IDemoUser } from './users';

/** The sign-in page. */
export function signInPage(options: {
  /** Shown as an alert above the form. */
  error?: string;
  /** Pre-filled user name after a failed attempt. */
  username?: string;
  /** Where to go after signing in. */
  next?: string;
}): string {
  const error = options.error
    ? `<p id="signin-error" class="error" role="alert">${e(options.error)}</p>`
    : '';
  const invalid = options.error
    ? ' aria-invalid="true" aria-describedby="signin-error"'
    : '';
  const next = options.next
    ? `<input type="hidden" name="next" value="${e(options.next)}">`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in to Open XDMoD (demo)</h1>
${error}
<form method="post" action="/rest/auth/login">
  <input type="hidden" name="redirect" value="1">
  ${next}
  <p><label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus value="${e(options.username ?? '')}"${invalid}></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required${invalid}></p>
  <p><button type="submit">Sign in</button></p>
</form>
<p class="hint">Demo accounts: <code>demo</code> / <code>demo</code>.</p>`
  );
}

/** The home page of a signed-in user. */
export function homePage(options: {
  user: IDemoUser;
  /** Whether JupyterLab is served under /jupyter/. */
  jupyter: boolean;
}): string {
  const lab = options.jupyter
    ? '<li><a href="/jupyter/lab">Open JupyterLab</a></li>'
    : '';
  return layout(
    'Open XDMoD (demo)',
    `<h1>Open XDMoD (demo)</h1>
<p>Signed in as ${e(options.user.username)} (${e(options.user.name)})</p>
<nav aria-label="Portal">
<ul>
  ${lab}
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
  const message = options.message
    ? `<p role="status">${e(options.message)}</p>`
    : '';
  const fresh = options.newToken
    ? `<p>Your new API token (copy it now: it will not be shown again):</p>
<p><code aria-label="New API token">${e(options.newToken)}</code></p>`
    : '';
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
${message}
${fresh}
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
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  label { display: inline-block; min-width: 6rem; }
  .error { color: #a4000f; font-weight: bold; }
  .hint { color: #555; }
  code { word-break: break-all; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
