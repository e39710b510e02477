/**
 * The Axivion contract suite's view of a dashboard: where it is, who signs in, and a tiny
 * HTTP client on top of fetch that knows the dashboard's authentication and CSRF header.
 *
 * By default the suite runs against the demo portal started in-process (base URL
 * the demo dashboard at `axivion/` on its own origin). To run it against a real Axivion Dashboard, set `AXIVION_CONTRACT_URL`
 * (the dashboard's base URL, e.g. `https://axivion.example.org/axivion/`),
 * `AXIVION_CONTRACT_USER` and `AXIVION_CONTRACT_PASSWORD` (a test account). The suite deletes
 * only the tokens it created itself. Tests that need the demo's test hooks, extra accounts
 * or a short CSRF lifetime are skipped then.
 */
import type { IPortalOptions } from '../src/server';
import {
  againstDemo,
  IPortalTarget,
  openPortalTarget
} from './contract-target';

export { demoHook } from './contract-target';

/** Whether the suite runs against the in-process demo portal. */
export const AGAINST_DEMO = againstDemo('AXIVION');

/** The header that carries the CSRF token. */
export const CSRF_HEADER = 'AX-CSRF-Token';

/** A dashboard to test; its base URL is the demo's dashboard on its own origin. */
export type IAxivionTarget = IPortalTarget;

/** Opens the dashboard under test: the real one from the environment, or a fresh demo. */
export function openTarget(
  options: IPortalOptions = {}
): Promise<IAxivionTarget> {
  return openPortalTarget('AXIVION', 'axivion', options);
}

/** How a request authenticates. */
export type Auth =
  | { basic: [string, string] }
  | { axToken: string }
  | { header: string }
  | undefined;

/** HTTP Basic with a user name and a password or API token. */
export function basic(username: string, secret: string): Auth {
  return { basic: [username, secret] };
}

/** The target's own account with its password. */
export function passwordAuth(target: IAxivionTarget): Auth {
  return basic(target.username, target.password);
}

/** Options of {@link call}. */
export interface ICallOptions {
  /** How to authenticate. */
  auth?: Auth;
  /** The CSRF token to send. */
  csrf?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** A body: strings are sent as is, anything else as JSON. */
  body?: unknown;
}

/** One HTTP call; `path` is relative to the dashboard's base URL (no leading slash). */
export async function call(
  target: IAxivionTarget,
  method: string,
  path: string,
  options: ICallOptions = {}
): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Axivion-User-Agent': 'ApiClient',
    ...options.headers
  };
  const auth = options.auth;
  if (auth && 'basic' in auth) {
    const raw = Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`, 'utf8');
    headers.Authorization = `Basic ${raw.toString('base64')}`;
  } else if (auth && 'axToken' in auth) {
    headers.Authorization = `AxToken ${auth.axToken}`;
  } else if (auth && 'header' in auth) {
    headers.Authorization = auth.header;
  }
  if (options.csrf !== undefined) {
    headers[CSRF_HEADER] = options.csrf;
  }
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  return fetch(new URL(path, target.base), { method, headers, body });
}

/** The dashboard info document, as `auth` sees it. */
export async function dashboardInfo(
  target: IAxivionTarget,
  auth: Auth = passwordAuth(target)
): Promise<Record<string, any>> {
  const response = await call(target, 'GET', '', { auth });
  if (response.status !== 200) {
    throw new Error(`The dashboard info failed with ${response.status}`);
  }
  return response.json();
}

/** `{user}` escaping for the path, then percent-encoding. */
export function userSegment(username: string): string {
  const escaped = username
    .replace(/:/g, ':e')
    .replace(/\//g, ':s')
    .replace(/\\/g, ':b');
  return encodeURIComponent(escaped);
}

/** The token list path of a user, relative to the base URL. */
export function tokensPath(username: string): string {
  return `api/users/${userSegment(username)}/tokens`;
}

/** A token list answer as an array (PORTALS.md: the wrapper is unverified). */
export function tokenList(json: unknown): Record<string, any>[] {
  if (Array.isArray(json)) {
    return json;
  }
  if (json && typeof json === 'object') {
    const array = Object.values(json).find(value => Array.isArray(value));
    if (array) {
      return array as Record<string, any>[];
    }
  }
  throw new Error(`Not a token list: ${JSON.stringify(json)}`);
}

/**
 * Creates tokens for one account and deletes exactly those again at the end, so a real
 * dashboard keeps the account's other tokens.
 */
export class TokenJanitor {
  constructor(
    private target: IAxivionTarget,
    private username = target.username,
    private password = target.password
  ) {}

  /** Creates a token; resolves the raw answer after checking it is a success. */
  async create(
    request: Partial<{
      type: string;
      description: string;
      maxAgeMillis: number;
      password: string;
    }> = {},
    auth: Auth = basic(this.username, this.password)
  ): Promise<Record<string, any>> {
    const response = await this.createResponse(request, auth);
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(
        `Token creation failed with ${response.status}: ${await response.text()}`
      );
    }
    return response.json();
  }

  /** Sends a creation request and resolves the response whatever it is. */
  async createResponse(
    request: Record<string, unknown>,
    auth: Auth = basic(this.username, this.password)
  ): Promise<Response> {
    const info = await dashboardInfo(this.target, auth);
    const response = await call(
      this.target,
      'POST',
      tokensPath(this.username),
      {
        auth,
        csrf: info.csrfToken,
        body: {
          password: this.password,
          type: 'General',
          description: 'contract suite',
          maxAgeMillis: 0,
          ...request
        }
      }
    );
    if (response.status === 200 || response.status === 201) {
      const copy = response.clone();
      const body = await copy.json();
      if (typeof body.id === 'string') {
        this._created.add(body.id);
      }
    }
    return response;
  }

  /** Deletes every token this janitor created. */
  async cleanUp(): Promise<void> {
    if (!this._created.size) {
      return;
    }
    const auth = basic(this.username, this.password);
    const info = await dashboardInfo(this.target, auth);
    for (const id of this._created) {
      const response = await call(
        this.target,
        'DELETE',
        `api/tokens/${encodeURIComponent(id)}`,
        { auth, csrf: info.csrfToken }
      );
      await response.body?.cancel();
    }
    this._created.clear();
  }

  private _created = new Set<string>();
}
