import type { ServerConnection } from '@jupyterlab/services';
import { serverFetch } from '../request';
import { PortalError } from './errors';

/**
 * How long a portal call may take before it counts as failed.
 */
export const DEFAULT_TIMEOUT_MS = 15000;

/**
 * How a client calls its portal.
 */
export interface IFetchOptions {
  /** The fetch to use; the browser's by default (which carries the portal's session cookies). */
  fetch?: typeof fetch;
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /**
   * Go through the Jupyter server's relay instead of calling the portal from the browser (a
   * portal on another origin that sends no CORS headers).
   */
  relay?: IRelay | null;
}

/**
 * Where a portal's calls go when the browser cannot make them itself.
 */
export interface IRelay {
  /** The portal's id in the settings (the relay reads the same settings). */
  portalId: string;
  /** The portal's base URL: every call's URL starts with it. */
  portalUrl: string;
  /** The Jupyter server; the page's own by default. */
  serverSettings?: ServerConnection.ISettings;
}

/**
 * The header that carries the portal's credentials to the relay: the request's own
 * `Authorization` belongs to the Jupyter server.
 */
export const RELAY_AUTHORIZATION = 'X-Portal-Authorization';

/**
 * The header with which the relay marks its answers: `portal` (the portal's own answer) or
 * `error` (the relay refused or failed; the body is its JSON message).
 */
export const RELAY_MARK = 'X-Portal-Token-Relay';

/**
 * A portal's answer, its body already read.
 */
export interface IPortalResponse {
  status: number;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
}

/**
 * Call a portal with the browser's session cookies, a timeout, and failures mapped to PortalError.
 *
 * Credentials go along for same-origin portals (the usual hosted deployment) and for listed
 * cross-origin ones; the portal's CORS answer decides whether the browser lets us read it.
 */
export async function portalFetch(
  url: string,
  init: RequestInit = {},
  options: IFetchOptions = {}
): Promise<IPortalResponse> {
  if (options.relay) {
    return Private.relayFetch(url, init, options.relay, options);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      credentials: 'include',
      cache: 'no-store',
      ...init,
      headers: {
        Accept: 'application/json',
        'X-Requested-With': 'XMLHttpRequest',
        ...(init.headers as Record<string, string> | undefined)
      },
      signal: controller.signal
    });
  } catch {
    throw new PortalError({
      reason: controller.signal.aborted ? 'timeout' : 'network'
    });
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, json: await Private.readJson(response) };
}

/**
 * An HTTP Basic `Authorization` value of the UTF-8 bytes of `username:password` (`btoa` alone
 * fails on non-Latin-1 passwords). Build it for one request; never keep it.
 */
export function basicAuthorization(username: string, password: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(`${username}:${password}`)) {
    binary += String.fromCharCode(byte);
  }
  return `Basic ${btoa(binary)}`;
}

/**
 * The portal's `message` field, if its body has one that is a string.
 */
export function messageOf(json: unknown): string | undefined {
  if (json && typeof json === 'object' && 'message' in json) {
    const message = (json as { message: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  }
  return undefined;
}

/**
 * Throw the PortalError that an unexpected answer stands for.
 */
export function failWith(response: IPortalResponse): never {
  throw new PortalError({
    reason: PortalError.reasonFor(response.status),
    status: response.status,
    portalMessage: messageOf(response.json)
  });
}

namespace Private {
  /** The body as JSON, or `undefined`. */
  export async function readJson(response: Response): Promise<unknown> {
    try {
      const text = await response.text();
      return text ? JSON.parse(text) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A portal call made by the Jupyter server's relay: `<base_url>portal-token/relay/<id>/<path>`,
   * with the server's authentication and XSRF header, the portal's credentials in
   * `X-Portal-Authorization`, and the relay's own failures told apart from the portal's answers.
   */
  export async function relayFetch(
    url: string,
    init: RequestInit,
    relay: IRelay,
    options: IFetchOptions
  ): Promise<IPortalResponse> {
    if (!url.startsWith(relay.portalUrl)) {
      // Only the portal's own routes go through its relay.
      throw new PortalError({ reason: 'bad-response' });
    }
    const path = `relay/${encodeURIComponent(relay.portalId)}/${url.slice(relay.portalUrl.length)}`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'X-Requested-With': 'XMLHttpRequest'
    };
    for (const [name, value] of Object.entries(
      (init.headers as Record<string, string> | undefined) ?? {}
    )) {
      headers[
        name.toLowerCase() === 'authorization' ? RELAY_AUTHORIZATION : name
      ] = value;
    }
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    );
    let response: Response;
    try {
      response = await serverFetch(
        path,
        {
          // Not ServerConnection's default `no-store`, which adds a cache-busting query
          // parameter that the relay refuses (the token APIs take none); the relay's answers
          // say `no-store` themselves.
          cache: 'no-cache',
          method: init.method,
          body: init.body,
          headers,
          signal: controller.signal
        },
        relay.serverSettings
      );
    } catch {
      throw new PortalError({
        reason: controller.signal.aborted ? 'timeout' : 'network'
      });
    } finally {
      clearTimeout(timer);
    }
    const json = await readJson(response);
    const mark = response.headers.get(RELAY_MARK);
    if (mark === 'error') {
      throw new PortalError({
        reason: response.status === 504 ? 'timeout' : 'relay',
        status: response.status,
        portalMessage: messageOf(json)
      });
    }
    if (mark !== 'portal') {
      // Not the relay's answer: the server has no relay (no server half, or an old one).
      throw new PortalError({ reason: 'no-relay', status: response.status });
    }
    return { status: response.status, json };
  }
}
