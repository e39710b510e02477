/**
 * The contract suite's view of an XDMoD portal: where it is, who signs in, and a tiny
 * cookie-aware HTTP client on top of fetch.
 *
 * By default the suite runs against the demo portal started in-process. To run it against
 * a real Open XDMoD, set `XDMOD_CONTRACT_URL` (e.g. `https://xdmod.example.org/`),
 * `XDMOD_CONTRACT_USER` and `XDMOD_CONTRACT_PASSWORD` (a test account whose API token the
 * suite may revoke), and optionally `XDMOD_CONTRACT_CORS_ORIGIN` (an origin listed in the
 * portal's `[cors] domains`). Tests that need the demo's test hooks or a short token
 * lifetime are skipped then.
 */
import type { IPortalOptions } from '../src/server';
import {
  againstDemo,
  IPortalTarget,
  openPortalTarget
} from './contract-target';

/** Whether the suite runs against the in-process demo portal. */
export const AGAINST_DEMO = againstDemo('XDMOD');

/** The origin the demo lists in its CORS settings. */
export const DEMO_CORS_ORIGIN = 'http://notebooks.example.org';

/** A portal to test. */
export interface IContractTarget extends IPortalTarget {
  /** Its user id when known (the demo's alice is 42). */
  readonly userId?: number;
  /** An origin the portal lists for CORS, when known. */
  readonly corsOrigin?: string;
}

/** Opens the portal under test: the real one from the environment, or a fresh demo. */
export async function openTarget(
  options: IPortalOptions = {}
): Promise<IContractTarget> {
  const target = await openPortalTarget('XDMOD', 'xdmod', {
    corsOrigins: [DEMO_CORS_ORIGIN],
    ...options
  });
  return AGAINST_DEMO
    ? { ...target, userId: 42, corsOrigin: DEMO_CORS_ORIGIN }
    : { ...target, corsOrigin: process.env.XDMOD_CONTRACT_CORS_ORIGIN };
}

/** Cookies by name, as a browser would keep them for the portal. */
export type CookieJar = Record<string, string>;

/** A signed-in session. */
export interface ISignedIn {
  /** The cookies the sign-in set (`xdmod_token`, `PHPSESSID`). */
  readonly cookies: CookieJar;
  /** The session token from the JSON answer. */
  readonly token: string;
  /** The raw `Set-Cookie` headers. */
  readonly setCookie: string[];
}

/** Options of {@link call}. */
export interface ICallOptions {
  /** Cookies to send. */
  cookies?: CookieJar;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** A body: strings are sent as is, objects as JSON. */
  body?: string | Record<string, unknown>;
  /** Do not follow redirects. */
  manual?: boolean;
}

/** One HTTP call to the portal; `path` is relative to the base URL (no leading slash). */
export async function call(
  target: IContractTarget,
  method: string,
  path: string,
  options: ICallOptions = {}
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookies && Object.keys(options.cookies).length) {
    headers.Cookie = Object.entries(options.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  return fetch(new URL(path, target.base), {
    method,
    headers,
    body,
    redirect: options.manual ? 'manual' : 'follow'
  });
}

/** The cookies a response sets (name → value; a deleted cookie maps to ''). */
export function cookiesOf(response: Response): CookieJar {
  const jar: CookieJar = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const index = pair.indexOf('=');
    jar[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
  }
  return jar;
}

/** Signs in with HTTP Basic (the way XDMoD's own tools do). */
export async function signIn(
  target: IContractTarget,
  prefix = 'rest'
): Promise<ISignedIn> {
  const basic = Buffer.from(`${target.username}:${target.password}`).toString(
    'base64'
  );
  const response = await call(target, 'POST', `${prefix}/auth/login`, {
    headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' }
  });
  if (response.status !== 200) {
    throw new Error(`Sign-in failed with ${response.status}`);
  }
  const body = await response.json();
  return {
    cookies: cookiesOf(response),
    token: body.results.token,
    setCookie: response.headers.getSetCookie()
  };
}

/** Removes the test account's API token if it has one. */
export async function revokeIfAny(
  target: IContractTarget,
  session: ISignedIn
): Promise<void> {
  const response = await call(
    target,
    'DELETE',
    'rest/users/current/api/token',
    {
      cookies: session.cookies
    }
  );
  await response.body?.cancel();
  if (response.status !== 200 && response.status !== 404) {
    throw new Error(`Could not clear the API token: ${response.status}`);
  }
}

/** XDMoD's error body, with any message. */
export function errorBody(message: unknown = expect.any(String)) {
  return {
    success: false,
    count: 0,
    total: 0,
    totalCount: 0,
    results: [],
    data: [],
    message,
    code: 0
  };
}

/** Arms a fault through the demo's test hook. */
export async function armFault(
  target: IContractTarget,
  fault: Record<string, unknown>
): Promise<void> {
  const response = await call(target, 'POST', '__demo__/faults', {
    body: fault
  });
  if (response.status !== 200) {
    throw new Error(`Could not arm the fault: ${await response.text()}`);
  }
}

/** Disarms every fault through the demo's test hook. */
export async function clearFaults(target: IContractTarget): Promise<void> {
  const response = await call(target, 'DELETE', '__demo__/faults');
  await response.body?.cancel();
}
