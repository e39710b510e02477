import { ServerConnection } from '@jupyterlab/services';
import { requestAPI, ServerRequestError } from './request';
import type { IBrokerStatus, IKeptToken, ITokenBroker } from './tokens';

/**
 * The page's side of the token broker: this extension's routes on the Jupyter server.
 */
export class ServerTokenBroker implements ITokenBroker {
  constructor(options: ServerTokenBroker.IOptions = {}) {
    this._settings = options.serverSettings ?? ServerConnection.makeSettings();
    this.ready = this._request<IBrokerStatus>('status').then(
      status => (Private.isStatus(status) ? status : null),
      // No server half (404), or none that answers: the page keeps tokens alone.
      () => null
    );
  }

  /** The server half's status, or `null` without one. */
  readonly ready: Promise<IBrokerStatus | null>;

  /** The tokens the server keeps (no values). */
  async list(): Promise<IKeptToken[]> {
    if (!(await this.ready)) {
      return [];
    }
    const body = await this._request<{ tokens?: IKeptToken[] }>('tokens');
    return Array.isArray(body?.tokens) ? body.tokens : [];
  }

  /** Hand a token's variables to the server. */
  async keep(
    portal: string,
    token: ITokenBroker.IKeepOptions
  ): Promise<IKeptToken> {
    return this._request<IKeptToken>(Private.tokenPath(portal), {
      method: 'PUT',
      body: JSON.stringify({ ...token, expires: token.info.expires })
    });
  }

  /** Change where a kept token goes. */
  async update(
    portal: string,
    options: { kernels: boolean; terminals: boolean }
  ): Promise<IKeptToken> {
    return this._request<IKeptToken>(Private.tokenPath(portal), {
      method: 'PUT',
      body: JSON.stringify(options)
    });
  }

  /** Forget a portal's token on the server. */
  async remove(portal: string, version?: string): Promise<void> {
    const query =
      version === undefined ? '' : `?version=${encodeURIComponent(version)}`;
    await this._request<null>(`${Private.tokenPath(portal)}${query}`, {
      method: 'DELETE'
    });
  }

  /** The values of a kept token, or `null`. */
  async values(portal: string): Promise<Record<string, string> | null> {
    try {
      const body = await this._request<{ variables?: Record<string, string> }>(
        `${Private.tokenPath(portal)}/value`,
        { cache: 'no-store' }
      );
      return body?.variables ?? null;
    } catch (error) {
      if (error instanceof ServerRequestError && error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  /** Source id → version, as a kernel's current process holds them. */
  async held(kernelId: string): Promise<Record<string, string>> {
    const cached = this._held ? await this._held : null;
    // A kernel the last answer did not know of is newer than it: ask again.
    if (cached && !(kernelId in cached)) {
      this._held = null;
    }
    return (await this._records())[kernelId] ?? {};
  }

  /** Kernel id → source id → version, for every kernel the server launched itself. */
  private _records(): Promise<Record<string, Record<string, string>>> {
    if (!this._held) {
      this._held = this._request<{
        kernels?: Record<string, Record<string, string>>;
      }>('kernels')
        .then(body => body?.kernels ?? {})
        .catch(() => ({}));
      // One request serves every kernel asked about in the same moment (a `set` over many).
      const reset = () => {
        setTimeout(() => (this._held = null), Private.HELD_REUSE_MS);
      };
      void this._held.then(reset);
    }
    return this._held;
  }

  /** Tell the server that a kernel's process now holds a source's version. */
  async report(
    kernelId: string,
    sourceId: string,
    version: string
  ): Promise<void> {
    this._held = null;
    await this._request<null>(`kernels/${encodeURIComponent(kernelId)}`, {
      method: 'POST',
      body: JSON.stringify({ portal: sourceId, version })
    });
  }

  private _request<T>(path: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(path, init, this._settings);
  }

  private _held: Promise<Record<string, Record<string, string>>> | null = null;
  private _settings: ServerConnection.ISettings;
}

/**
 * The ServerTokenBroker namespace.
 */
export namespace ServerTokenBroker {
  /**
   * Options of a ServerTokenBroker.
   */
  export interface IOptions {
    /** The Jupyter server to talk to; the page's own by default. */
    serverSettings?: ServerConnection.ISettings;
  }
}

namespace Private {
  /** How long one answer about the kernels' records is reused. */
  export const HELD_REUSE_MS = 500;

  export function tokenPath(portal: string): string {
    return `tokens/${encodeURIComponent(portal)}`;
  }

  export function isStatus(value: unknown): value is IBrokerStatus {
    const status = value as IBrokerStatus | null;
    return (
      !!status &&
      typeof status.version === 'string' &&
      !!status.launch &&
      typeof status.launch.kernels === 'boolean'
    );
  }
}
