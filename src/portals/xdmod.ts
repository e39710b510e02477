import type {
  ICreatedToken,
  ICredentials,
  IPortalCapabilities,
  IPortalClient,
  IPortalConfig,
  IPortalStatus
} from '../tokens';
import { PortalError } from './errors';
import {
  basicAuthorization,
  failWith,
  IFetchOptions,
  messageOf,
  portalFetch
} from './http';
import { XDMOD_ENV_VARS } from './variables';

/**
 * The message XDMoD sends with a 404 when the user simply has no token. Any other 404 on the
 * route means this portal does not offer API tokens (the route itself is missing).
 */
const NO_TOKEN_MESSAGE = 'API token not found.';

/**
 * What Open XDMoD's token API can do: one token per user, lifetime set by the portal, no label.
 */
const XDMOD_CAPABILITIES: IPortalCapabilities = {
  credentials: 'session',
  create: true,
  list: true,
  revoke: true,
  bulkRevoke: false,
  singleToken: true,
  replacesAll: false,
  label: false,
  lifetime: false,
  zeroLifetime: 'default',
  needsPassword: false,
  types: []
};

/**
 * A client for Open XDMoD's token API (`/rest/users/current/api/token`), authenticated by the
 * browser's portal session; or, for a portal on another origin reached through the Jupyter
 * server's relay, by a session the panel opens with the user's password (XDMoD's REST API takes
 * HTTP Basic on `rest/auth/login` when `[rest] basic_auth` is on, its default). The relay keeps
 * that session's cookies on the server; the password is sent once and kept nowhere.
 */
export class XdmodClient implements IPortalClient {
  constructor(config: IPortalConfig, options: IFetchOptions = {}) {
    this.config = config;
    this._fetchOptions = options;
    this._route = new URL('rest/users/current/api/token', config.url).href;
    this.capabilities = !options.relay
      ? XdmodClient.CAPABILITIES
      : config.passwordSignIn === false
        ? XdmodClient.SINGLE_SIGN_ON_CAPABILITIES
        : XdmodClient.RELAYED_CAPABILITIES;
  }

  readonly config: IPortalConfig;
  readonly capabilities: IPortalCapabilities;

  /**
   * Through the relay only: open a portal session with the user's password (HTTP Basic on
   * `rest/auth/login`, one request).
   */
  async signIn(credentials: ICredentials): Promise<void> {
    const response = await portalFetch(
      new URL('rest/auth/login', this.config.url).href,
      {
        method: 'POST',
        headers: {
          Authorization: basicAuthorization(
            credentials.username,
            credentials.password
          )
        }
      },
      this._fetchOptions
    );
    if (response.status === 401) {
      throw new PortalError({
        reason: 'bad-credentials',
        status: 401,
        portalMessage: messageOf(response.json)
      });
    }
    if (
      response.status !== 200 ||
      (response.json as { success?: unknown } | undefined)?.success !== true
    ) {
      failWith(response);
    }
  }

  /**
   * Through the relay only: close the portal session the panel opened. Resolves once the
   * portal has closed it (a 401: there was none left), so a check made after finds no session.
   */
  async signOut(): Promise<void> {
    const response = await portalFetch(
      new URL('rest/auth/logout', this.config.url).href,
      { method: 'POST' },
      this._fetchOptions
    );
    if (response.status !== 200 && response.status !== 401) {
      failWith(response);
    }
  }

  get signInUrl(): string {
    return this.config.url;
  }

  async status(): Promise<IPortalStatus> {
    const response = await portalFetch(this._route, {}, this._fetchOptions);
    if (response.status === 401) {
      return { signedIn: false, available: true, tokens: [] };
    }
    if (response.status === 404) {
      // The route answers 404 both for "no token" and, when the portal lacks the feature, for
      // the route itself: only XDMoD's own JSON message tells them apart.
      const available = messageOf(response.json) === NO_TOKEN_MESSAGE;
      return { signedIn: true, available, tokens: [] };
    }
    if (response.status !== 200) {
      failWith(response);
    }
    const data = Private.data(response.json);
    const created = XdmodClient.parseDate(data.created_on);
    const expires = XdmodClient.parseDate(
      data.expiration_date,
      created?.earliest
    );
    if (!created || !expires) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    return {
      signedIn: true,
      available: true,
      tokens: [
        {
          created: created.earliest,
          expires: expires.earliest,
          precision: 'hour'
        }
      ]
    };
  }

  async create(): Promise<ICreatedToken> {
    const requested = new Date();
    const response = await portalFetch(
      this._route,
      { method: 'POST' },
      this._fetchOptions
    );
    if (response.status !== 200) {
      failWith(response);
    }
    const data = Private.data(response.json);
    const secret = data.token;
    const expires = XdmodClient.parseDate(data.expiration_date, requested);
    if (typeof secret !== 'string' || !XdmodClient.TOKEN_PATTERN.test(secret)) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    if (!expires) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    return {
      secret,
      created: requested,
      expires: expires.earliest,
      precision: 'hour'
    };
  }

  async revoke(): Promise<void> {
    const response = await portalFetch(
      this._route,
      { method: 'DELETE' },
      this._fetchOptions
    );
    if (response.status !== 200) {
      failWith(response);
    }
    // Only XDMoD's own answer says the token is gone; anything else (a proxy's page, a cut-off
    // body) must not make the token leave the kernels while the portal still has it.
    if (
      (response.json as { success?: unknown } | undefined)?.success !== true
    ) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
  }

  environment(secret: string): Record<string, string> {
    // xdmod-data wants the host without a trailing slash.
    return { token: secret, host: this.config.url.replace(/\/+$/, '') };
  }

  private _fetchOptions: IFetchOptions;
  private _route: string;
}

/**
 * The XdmodClient namespace.
 */
export namespace XdmodClient {
  /** What Open XDMoD's token API can do. */
  export const CAPABILITIES = XDMOD_CAPABILITIES;

  /** The same through the relay: the panel signs in with a password. */
  export const RELAYED_CAPABILITIES: IPortalCapabilities = {
    ...XDMOD_CAPABILITIES,
    credentials: 'sign-in'
  };

  /**
   * Through the relay behind single sign-on (no password to sign in with, `[rest] basic_auth`
   * off): only JupyterLab on the portal's own origin could use the browser's session.
   */
  export const SINGLE_SIGN_ON_CAPABILITIES: IPortalCapabilities = {
    ...XDMOD_CAPABILITIES,
    credentials: 'portal-origin'
  };

  /** Default variable names by role: what `xdmod-data` reads. */
  export const ENV_VARS = XDMOD_ENV_VARS;

  /** The shape of an XDMoD API token: `<userId>.<64 hex>`. */
  export const TOKEN_PATTERN = /^[0-9]+\.[0-9a-f]{64}$/;

  /**
   * A date as XDMoD sends it.
   */
  export interface IParsedDate {
    /**
     * The earliest moment the string can stand for (at or after `notBefore`): date, hour and
     * seconds are right; the minutes field holds the month (PHP `Y-m-d H:m:s`), so the minute
     * is the smallest one that fits.
     */
    earliest: Date;
  }

  /**
   * Parse XDMoD's `Y-m-d H:m:s` date (in the browser's time zone, as the portal's usually is).
   *
   * `notBefore`, when known (e.g. the moment we asked for the token), rules out minutes that
   * would put the date before it, which recovers the exact time for short lifetimes.
   */
  export function parseDate(
    value: unknown,
    notBefore?: Date
  ): IParsedDate | null {
    if (typeof value !== 'string') {
      return null;
    }
    const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(
      value.trim()
    );
    if (!match) {
      return null;
    }
    const [year, month, day, hour, , second] = match
      .slice(1)
      .map(part => parseInt(part, 10));
    const candidate = new Date(year, month - 1, day, hour, 0, second);
    if (isNaN(candidate.getTime()) || candidate.getMonth() !== month - 1) {
      return null;
    }
    if (notBefore) {
      while (candidate < notBefore && candidate.getMinutes() < 59) {
        candidate.setMinutes(candidate.getMinutes() + 1);
      }
    }
    return { earliest: candidate };
  }
}

namespace Private {
  /**
   * The `data` object of a successful XDMoD answer.
   */
  export function data(json: unknown): Record<string, unknown> {
    if (
      json &&
      typeof json === 'object' &&
      (json as { success?: unknown }).success === true &&
      typeof (json as { data?: unknown }).data === 'object' &&
      (json as { data?: unknown }).data !== null
    ) {
      return (json as { data: Record<string, unknown> }).data;
    }
    throw new PortalError({ reason: 'bad-response', status: 200 });
  }
}
