/**
 * The SODAR contract suite's view of a portal: where it is, who signs in, and small helpers
 * for the token login and the data route, on top of fetch.
 *
 * By default the suite runs against the demo portal started in-process (SODAR at `sodar/` on its own origin).
 * To run it against a real SODAR, set `SODAR_CONTRACT_URL` (e.g. `https://sodar.example.org/`),
 * `SODAR_CONTRACT_USER` and `SODAR_CONTRACT_PASSWORD`: a test account whose API tokens the
 * suite may delete (every token login replaces all of them). Tests that need the demo's test
 * hooks, or that would lock the account out, are skipped then; those that send one wrong
 * password each run only with `SODAR_CONTRACT_FAILED_LOGINS=1` (each counts towards the
 * account's lockout).
 */
import type { IPortalOptions } from '../src/server';
import {
  againstDemo,
  IPortalTarget,
  openPortalTarget
} from './contract-target';

export { demoHook } from './contract-target';

/** Whether the suite runs against the in-process demo portal. */
export const AGAINST_DEMO = againstDemo('SODAR');

/** The tokens API's media type. */
export const TOKENS_MEDIA = 'application/vnd.bihealth.sodar-core.tokens+json';

/** The versioned Accept header of the tokens API. */
export const TOKENS_ACCEPT = `${TOKENS_MEDIA}; version=1.0`;

/** The projectroles API's media type (the data route). */
export const PROJECTS_MEDIA =
  'application/vnd.bihealth.sodar-core.projectroles+json';

/** The Accept header sodar-cli sends to the projectroles API. */
export const PROJECTS_ACCEPT = `${PROJECTS_MEDIA}; version=1.0`;

/** A SODAR to test; its base URL is the demo's SODAR on its own origin. */
export type ISodarTarget = IPortalTarget;

/** Opens the portal under test: the real one from the environment, or a fresh demo. */
export function openSodar(options: IPortalOptions = {}): Promise<ISodarTarget> {
  return openPortalTarget('SODAR', 'sodar', options);
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
