/**
 * The SODAR contract suite's view of a portal: where it is, who signs in, and small helpers
 * for the token login and the data route, on top of fetch.
 *
 * By default the suite runs against the demo portal started in-process (base `<url>sodar/`).
 * To run it against a real SODAR, set `SODAR_CONTRACT_URL` (e.g. `https://sodar.example.org/`),
 * `SODAR_CONTRACT_USER` and `SODAR_CONTRACT_PASSWORD`: a test account whose API tokens the
 * suite may delete (every token login replaces all of them). Tests that need the demo's test
 * hooks, or that would lock the account out, are skipped then; those that send one wrong
 * password each run only with `SODAR_CONTRACT_FAILED_LOGINS=1` (each counts towards the
 * account's lockout).
 */
import { IPortalOptions, IRunningPortal, startPortal } from '../src/server';

/** Whether the suite runs against the in-process demo portal. */
export const AGAINST_DEMO = !process.env.SODAR_CONTRACT_URL;

/** The tokens API's media type. */
export const TOKENS_MEDIA = 'application/vnd.bihealth.sodar-core.tokens+json';

/** The versioned Accept header of the tokens API. */
export const TOKENS_ACCEPT = `${TOKENS_MEDIA}; version=1.0`;

/** The projectroles API's media type (the data route). */
export const PROJECTS_MEDIA =
  'application/vnd.bihealth.sodar-core.projectroles+json';

/** The Accept header sodar-cli sends to the projectroles API. */
export const PROJECTS_ACCEPT = `${PROJECTS_MEDIA}; version=1.0`;

/** A SODAR to test. */
export interface ISodarTarget {
  /** SODAR's base URL with a trailing slash (the demo's `<url>sodar/`). */
  readonly base: string;
  /** The demo server's own base URL (for `/__demo__/…`); undefined for a real portal. */
  readonly server?: string;
  /** The test account. */
  readonly username: string;
  /** Its password. */
  readonly password: string;
  /** Stops the portal if the suite started it. */
  close(): Promise<void>;
}

/** Opens the portal under test: the real one from the environment, or a fresh demo. */
export async function openSodar(
  options: IPortalOptions = {}
): Promise<ISodarTarget> {
  if (!AGAINST_DEMO) {
    const base = process.env.SODAR_CONTRACT_URL as string;
    return {
      base: base.endsWith('/') ? base : `${base}/`,
      username: process.env.SODAR_CONTRACT_USER ?? '',
      password: process.env.SODAR_CONTRACT_PASSWORD ?? '',
      close: async () => undefined
    };
  }
  const portal: IRunningPortal = await startPortal({
    port: 0,
    jupyter: false,
    logger: 'silent',
    testHooks: true,
    ...options
  });
  return {
    base: `${portal.url}sodar/`,
    server: portal.url,
    username: 'alice',
    password: 'alice-password',
    close: () => portal.close()
  };
}

/** `Authorization: Basic …` for a user name and password (UTF-8). */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Options of {@link tokenLogin}. */
export interface ILoginOptions {
  /** The user name; the target's by default. */
  username?: string;
  /** The password; the target's by default. */
  password?: string;
  /** The Accept header; the versioned one by default, null for none. */
  accept?: string | null;
  /** The JSON body (absent: none). */
  body?: Record<string, unknown>;
  /** Extra or replacing headers. */
  headers?: Record<string, string>;
}

/** `POST tokens/api/login`, as sodar-cli would send it. */
export function tokenLogin(
  target: ISodarTarget,
  options: ILoginOptions = {}
): Promise<Response> {
  const headers: Record<string, string> = {
    Authorization: basic(
      options.username ?? target.username,
      options.password ?? target.password
    )
  };
  if (options.accept !== null) {
    headers.Accept = options.accept ?? TOKENS_ACCEPT;
  }
  if (options.body) {
    headers['Content-Type'] = 'application/json';
  }
  return fetch(new URL('tokens/api/login', target.base), {
    method: 'POST',
    headers: { ...headers, ...options.headers },
    body: options.body ? JSON.stringify(options.body) : undefined
  });
}

/** Creates a token and returns the 201 body; fails the test on any other answer. */
export async function newToken(
  target: ISodarTarget,
  body?: Record<string, unknown>
): Promise<{
  delete_count: number;
  expiry: string | null;
  sodar_label: string;
  token: string;
  user_uuid: string;
}> {
  const response = await tokenLogin(target, { body });
  if (response.status !== 201) {
    throw new Error(
      `The token login answered ${response.status}: ${await response.text()}`
    );
  }
  return response.json();
}

/** `GET project/api/list` with an `Authorization` header (or none). */
export function listProjects(
  target: ISodarTarget,
  authorization?: string,
  accept: string = PROJECTS_ACCEPT
): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (authorization !== undefined) {
    headers.Authorization = authorization;
  }
  return fetch(new URL('project/api/list', target.base), { headers });
}

/** Calls a demo test hook; throws against a real portal. */
export async function demoHook(
  target: ISodarTarget,
  path: string,
  body?: Record<string, unknown>,
  method = 'POST'
): Promise<Response> {
  if (!target.server) {
    throw new Error('Test hooks exist only on the demo portal.');
  }
  return fetch(new URL(`__demo__/${path}`, target.server), {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
}

/** Parses an ISO 8601 date with an offset (Python's `isoformat()`, microseconds allowed). */
export function parseIso(text: string): Date {
  const match =
    /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(
      text
    );
  if (!match) {
    throw new Error(`Not an ISO date with an offset: ${text}`);
  }
  const ms = (match[2] ?? '').padEnd(3, '0').slice(0, 3);
  return new Date(`${match[1]}.${ms}${match[3]}`);
}
