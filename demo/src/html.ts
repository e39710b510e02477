/**
 * The HTML the portals' pages share: the page shell, the sign-in form, the notices.
 * Plain HTML, no scripts, no external assets; every value is escaped.
 */
import { escapeHtml as e } from './http';

/** A whole page: `body` in `<main>`, with an inline style of one rule a line. */
export function htmlPage(options: {
  /** The document title (text). */
  title: string;
  /** CSS rules. */
  style: readonly string[];
  /** The page's markup. */
  body: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(options.title)}</title>
<style>
${options.style.map(rule => `  ${rule}\n`).join('')}</style>
</head>
<body>
<main>
${options.body}
</main>
</body>
</html>
`;
}

/** What a sign-in page shows after a failed attempt, and where it goes after success. */
export interface ISignInState {
  /** Shown as an alert above the form. */
  error?: string;
  /** Pre-filled user name after a failed attempt. */
  username?: string;
  /** Where to go after signing in. */
  next?: string;
}

/**
 * The sign-in form: an alert the fields point to after a failed attempt, user name and
 * password, hidden fields, and the demo accounts' hint.
 */
export function signInForm(
  options: ISignInState & {
    /** Where the form posts to. */
    action: string;
    /** The alert's id. */
    errorId: string;
    /** The submit button's text. */
    button: string;
    /** Hidden fields sent along, by name. */
    hidden?: Record<string, string>;
  }
): string {
  const error = options.error
    ? `<p id="${e(options.errorId)}" class="error" role="alert">${e(options.error)}</p>`
    : '';
  const invalid = options.error
    ? ` aria-invalid="true" aria-describedby="${e(options.errorId)}"`
    : '';
  const hidden = Object.entries(options.hidden ?? {})
    .map(
      ([name, value]) =>
        `  <input type="hidden" name="${e(name)}" value="${e(value)}">\n`
    )
    .join('');
  const next = options.next
    ? `<input type="hidden" name="next" value="${e(options.next)}">`
    : '';
  return `${error}
<form method="post" action="${e(options.action)}">
${hidden}  ${next}
  <p><label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus value="${e(options.username ?? '')}"${invalid}></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required${invalid}></p>
  <p><button type="submit">${e(options.button)}</button></p>
</form>
<p class="hint">Demo accounts: <code>demo</code> / <code>demo</code>.</p>`;
}

/** The home page's link to JupyterLab, when it is served under /jupyter/. */
export function jupyterLink(jupyter: boolean): string {
  return jupyter ? '<li><a href="/jupyter/lab">Open JupyterLab</a></li>' : '';
}

/** A status message after an action ('' for none). */
export function statusMessage(message: string | undefined): string {
  return message ? `<p role="status">${e(message)}</p>` : '';
}

/** A token just created, shown once ('' for none). */
export function newTokenNotice(token: string | undefined): string {
  return token
    ? `<p>Your new API token (copy it now: it will not be shown again):</p>
<p><code aria-label="New API token">${e(token)}</code></p>`
    : '';
}
