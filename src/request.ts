import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The path under the Jupyter server's base URL where this extension's routes live.
 */
export const API_NAMESPACE = 'portal-token';

/**
 * A call to this extension's server routes that did not succeed.
 *
 * `status` is the HTTP status (0 when no answer came); `message` is the server's own text, which
 * names a field at most, never a value.
 */
export class ServerRequestError extends Error {
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ServerRequestError';
    this.status = status;
  }

  /** The HTTP status, or 0 when the server did not answer. */
  readonly status: number;
}

/**
 * The raw answer of a route of this extension's server half (`<base_url>portal-token/<path>`),
 * for callers that read the status and headers themselves (the relay). Rejects with a
 * `ServerRequestError` of status 0 only when no answer came.
 */
export async function serverFetch(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, path);
  try {
    return await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerRequestError(
      0,
      error instanceof Error ? error.message : String(error)
    );
  }
}

/**
 * Call a route of this extension's server half: `<base_url>portal-token/<path>`, with the
 * server's base URL, its authentication and the XSRF header that `ServerConnection` adds.
 *
 * Resolves with the parsed JSON body (`null` for an empty one); rejects with a
 * `ServerRequestError` for a network failure or any status outside 2xx.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await serverFetch(path, init, settings);
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const message =
      body && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : response.statusText;
    throw new ServerRequestError(response.status, message);
  }
  return body as T;
}
