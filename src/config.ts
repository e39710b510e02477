import type {
  ConfigProblem,
  IPortalEntry,
  IPortalRegistry,
  PortalVia
} from './tokens';

/**
 * Names that can go into kernel code: letters, digits and underscores, not starting with a digit.
 */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Check the `portals` setting and make the URLs absolute against the page's origin.
 * A bad entry never hides the good ones.
 */
export function readPortals(
  raw: unknown,
  registry: IPortalRegistry,
  origin: string
): IPortalEntry[] {
  const entries: IPortalEntry[] = [];
  const seen = new Set<string>();
  const list = Array.isArray(raw) ? raw : [];
  list.forEach((item, index) => {
    const value = (item ?? {}) as Record<string, unknown>;
    const problems: ConfigProblem[] = [];
    const id = typeof value.id === 'string' ? value.id.trim() : '';
    const kind = typeof value.kind === 'string' ? value.kind : '';
    const label =
      typeof value.label === 'string' && value.label.trim()
        ? value.label.trim()
        : id || `#${index + 1}`;
    if (!id) {
      problems.push({ kind: 'missing-id' });
    } else if (seen.has(id)) {
      problems.push({ kind: 'duplicate-id', value: id });
    }
    seen.add(id);
    if (!registry.kinds.includes(kind)) {
      problems.push({ kind: 'unknown-kind', value: kind });
    }
    const url = Private.absoluteUrl(
      typeof value.url === 'string' ? value.url : '/',
      origin
    );
    if (!url) {
      problems.push({ kind: 'bad-url', value: String(value.url) });
    }
    const passwordSignIn = value.passwordSignIn !== false;
    const via = value.via === undefined ? 'auto' : value.via;
    if (via !== 'auto' && via !== 'browser' && via !== 'server') {
      problems.push({ kind: 'bad-via', value: String(value.via) });
    }
    const envVars = registry.defaultEnvVars(kind);
    const given = value.envVars;
    if (given && typeof given === 'object') {
      for (const [role, name] of Object.entries(given)) {
        envVars[role] = typeof name === 'string' ? name.trim() : '';
      }
    }
    for (const [role, name] of Object.entries(envVars)) {
      // An empty name switches a variable off (not the token's: that is the point); anything
      // else must be a valid name.
      if (!name && role === 'token' && registry.kinds.includes(kind)) {
        problems.push({ kind: 'empty-token-variable' });
      } else if (name && !VARIABLE_NAME.test(name)) {
        problems.push({ kind: 'bad-variable', value: name });
      }
    }
    entries.push({
      id: id || `#${index + 1}`,
      label,
      problems,
      config:
        problems.length === 0 && url
          ? {
              id,
              kind,
              label,
              url,
              envVars,
              passwordSignIn,
              // The page's own origin needs no relay; for another one the client decides.
              via:
                via === 'auto' && new URL(url).origin === new URL(origin).origin
                  ? 'browser'
                  : (via as PortalVia)
            }
          : null
    });
  });
  return entries;
}

namespace Private {
  /**
   * An http(s) URL ending with `/`, or `null`.
   */
  export function absoluteUrl(value: string, origin: string): string | null {
    try {
      const url = new URL(value.trim() || '/', origin);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return null;
      }
      url.search = '';
      url.hash = '';
      if (!url.pathname.endsWith('/')) {
        url.pathname += '/';
      }
      return url.href;
    } catch {
      return null;
    }
  }
}
