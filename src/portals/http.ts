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
}

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
  let json: unknown = undefined;
  try {
    const text = await response.text();
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
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
