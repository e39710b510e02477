/**
 * Where the demo dashboard lives and how its paths are spelled: the base path, the escaping
 * of `{user}`, and the canonical spelling that routes and faults see.
 */

/** Where the dashboard lives on the demo's origin. */
export const AXIVION_BASE_PATH = '/axivion/';

/**
 * Escapes a user name for the `{user}` path part, before percent-encoding:
 * `:` → `:e`, `/` → `:s`, `\` → `:b`.
 */
export function escapeAxivionUser(username: string): string {
  return username.replace(/[:/\\]/g, c =>
    c === ':' ? ':e' : c === '/' ? ':s' : ':b'
  );
}

/**
 * Undoes {@link escapeAxivionUser}; null for a malformed escape (a `:` not followed by e/s/b)
 * or an unescaped `/` or backslash (servlet containers refuse those percent-encoded in a path).
 */
export function unescapeAxivionUser(escaped: string): string | null {
  let result = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i];
    if (c === '/' || c === '\\') {
      return null;
    }
    if (c !== ':') {
      result += c;
      continue;
    }
    const next = escaped[i + 1];
    const plain =
      next === 'e' ? ':' : next === 's' ? '/' : next === 'b' ? '\\' : null;
    if (plain === null) {
      return null;
    }
    result += plain;
    i += 1;
  }
  return result;
}

/**
 * Names every token of the same route alike, so one fault covers it:
 * `/axivion/api/users/<anyone>/tokens` → `/axivion/api/users/{user}/tokens`,
 * `/axivion/api/tokens/<any id>` → `/axivion/api/tokens/{id}`; drops a trailing slash after `api`.
 */
export function canonicalAxivionPath(path: string): string {
  if (!path.startsWith('/axivion/api')) {
    return path;
  }
  return path
    .replace(
      /^\/axivion\/api\/users\/[^/]+\/tokens\/?$/,
      '/axivion/api/users/{user}/tokens'
    )
    .replace(/^\/axivion\/api\/tokens\/[^/]+\/?$/, '/axivion/api/tokens/{id}')
    .replace(/^\/axivion\/api\/$/, '/axivion/api');
}

/** The host-relative URL of a user's token list. */
export function userTokensPath(username: string): string {
  return `${AXIVION_BASE_PATH}api/users/${encodeURIComponent(escapeAxivionUser(username))}/tokens`;
}

/** The last path segment, percent-decoded ('' when malformed). */
export function lastSegment(url: URL): string {
  const segment = url.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}
