/**
 * The people's side of the demo SODAR: sign-in, home, and the API token pages.
 * Plain HTML, no scripts, no external assets; every value is escaped.
 */
import {
  htmlPage,
  ISignInState,
  newTokenNotice,
  signInForm,
  statusMessage
} from '../html';
import { escapeHtml as e } from '../http';
import type { IDemoUser } from '../users';
import type { ISodarTokenInfo } from './tokens';

/** Where the SODAR pages live. */
export const SODAR_BASE = '/sodar/';

/** The sign-in page. */
export function sodarSignInPage(options: ISignInState): string {
  return layout(
    'Login',
    `<h1>Log in to SODAR (demo)</h1>
${signInForm({
  ...options,
  action: `${SODAR_BASE}login`,
  errorId: 'login-error',
  button: 'Log in'
})}`
  );
}

/** The home page of a signed-in user. */
export function sodarHomePage(options: { user: IDemoUser }): string {
  return layout(
    'SODAR (demo)',
    `<h1>SODAR (demo)</h1>
<p>Logged in as ${e(options.user.username)} (${e(options.user.name)})</p>
<nav aria-label="SODAR">
<ul>
  <li><a href="${SODAR_BASE}tokens/list">API Tokens</a></li>
</ul>
</nav>
${logoutForm()}`
  );
}

/** "API Tokens": the user's tokens, a delete button each, and the create form. */
export function sodarTokenListPage(options: {
  user: IDemoUser;
  tokens: readonly ISodarTokenInfo[];
  /** A token just created: shown once. */
  newToken?: string;
  /** A status message after an action. */
  message?: string;
  /** An error after a refused action. */
  error?: string;
}): string {
  const error = options.error
    ? `<p class="error" role="alert">${e(options.error)}</p>`
    : '';
  const rows = options.tokens
    .map(
      token => `<tr>
  <td>${e(formatDate(token.created))}</td>
  <td>${token.expiry ? e(formatDate(token.expiry)) : 'Never'}</td>
  <td><code>${e(token.tokenKey)}</code></td>
  <td>${e(token.label)}</td>
  <td><form method="post" action="${SODAR_BASE}tokens/delete/${token.id}">
    <button type="submit" aria-label="Delete token ${e(token.tokenKey)}">Delete</button>
  </form></td>
</tr>`
    )
    .join('\n');
  const table = options.tokens.length
    ? `<table>
<caption>Your API tokens</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Expiry</th><th scope="col">Key</th><th scope="col">Label</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p>You have no API tokens.</p>';
  return layout(
    'API Tokens',
    `<h1>API Tokens</h1>
<p>Logged in as ${e(options.user.username)}</p>
${statusMessage(options.message)}
${error}
${newTokenNotice(options.newToken)}
${table}
<h2>Create Token</h2>
<form method="post" action="${SODAR_BASE}tokens/create">
  <p><label for="sodar_label">Token label</label>
  <input id="sodar_label" name="sodar_label" maxlength="256"></p>
  <p><label for="ttl">Expiry (hours, 0 = never)</label>
  <input id="ttl" name="ttl" type="number" min="0" value="0" required></p>
  <p><button type="submit">Create Token</button></p>
</form>
<p><a href="${SODAR_BASE}">Back to SODAR</a></p>
${logoutForm()}`
  );
}

/** Dates as the token list shows them: `YYYY-MM-DD HH:MM` UTC. */
export function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function logoutForm(): string {
  return `<form method="post" action="${SODAR_BASE}logout">
  <button type="submit">Log out</button>
</form>`;
}

function layout(title: string, body: string): string {
  return htmlPage({
    title: `${title} | SODAR (demo)`,
    style: [
      'body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }',
      'label { display: inline-block; min-width: 12rem; }',
      'table { border-collapse: collapse; }',
      'th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }',
      '.error { color: #a4000f; font-weight: bold; }',
      '.hint { color: #555; }',
      '.sr { position: absolute; left: -10000px; }',
      'code { word-break: break-all; }'
    ],
    body
  });
}
