/**
 * What every contract suite does first: open the portal under test. That is a real portal
 * named by `<PORTAL>_CONTRACT_URL`, `<PORTAL>_CONTRACT_USER` and `<PORTAL>_CONTRACT_PASSWORD`,
 * or, without that URL, a fresh demo portal started in-process with its test hooks on.
 */
import { IPortalOptions, startPortal } from '../src/server';

/** A portal to test. */
export interface IPortalTarget {
  /** The portal's base URL, with a trailing slash. */
  readonly base: string;
  /** The demo server's own base URL (for `/__demo__/…`); undefined for a real portal. */
  readonly demoBase?: string;
  /** The test account. */
  readonly username: string;
  /** Its password. */
  readonly password: string;
  /** Stops the portal if the suite started it. */
  close(): Promise<void>;
}

/** Whether the suite for `portal` (e.g. `SODAR`) runs against the in-process demo. */
export function againstDemo(portal: string): boolean {
  return !process.env[`${portal}_CONTRACT_URL`];
}

/**
 * Opens the portal under test: the real one from the environment, or a fresh demo (each
 * portal on its own origin, `site` names which) that signs in as alice.
 */
export async function openPortalTarget(
  portal: string,
  site: 'xdmod' | 'sodar' | 'axivion',
  options: IPortalOptions = {}
): Promise<IPortalTarget> {
  if (!againstDemo(portal)) {
    const base = process.env[`${portal}_CONTRACT_URL`] as string;
    return {
      base: base.endsWith('/') ? base : `${base}/`,
      username: process.env[`${portal}_CONTRACT_USER`] ?? '',
      password: process.env[`${portal}_CONTRACT_PASSWORD`] ?? '',
      close: async () => undefined
    };
  }
  const demo = await startPortal({
    port: 0,
    jupyter: false,
    logger: 'silent',
    testHooks: true,
    ...options
  });
  return {
    base: { xdmod: demo.url, sodar: demo.sodarUrl, axivion: demo.axivionUrl }[
      site
    ],
    demoBase: demo.url,
    username: 'alice',
    password: 'alice-password',
    close: () => demo.close()
  };
}

/** Calls a demo test hook (`/__demo__/<path>`); throws against a real portal. */
export async function demoHook(
  target: IPortalTarget,
  path: string,
  body?: unknown,
  method = 'POST'
): Promise<Response> {
  if (!target.demoBase) {
    throw new Error('Test hooks exist only on the demo portal.');
  }
  return fetch(new URL(`__demo__/${path}`, target.demoBase), {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
}
