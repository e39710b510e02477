import type {
  ICreatedToken,
  ICreateOptions,
  ICredentials,
  IPortalCapabilities,
  IPortalClient,
  IPortalConfig,
  IPortalStatus,
  ITokenInfo
} from '../tokens';
import { PortalError } from './errors';
import {
  basicAuthorization,
  IFetchOptions,
  IPortalResponse,
  messageOf as httpMessageOf,
  portalFetch
} from './http';
import { AXIVION_ENV_VARS } from './variables';

/**
 * What the Axivion Dashboard's token API can do: many tokens per user, each with a type, a
 * description and a lifetime (0 = the dashboard's default); creating one needs the password.
 */
const AXIVION_CAPABILITIES: IPortalCapabilities = {
  credentials: 'sign-in',
  create: true,
  list: true,
  revoke: true,
  bulkRevoke: true,
  singleToken: false,
  replacesAll: false,
  label: true,
  lifetime: true,
  zeroLifetime: 'default',
  needsPassword: true,
  types: ['General', 'IdePlugin', 'ContinuousIntegration']
};

/**
 * A client for the Axivion Dashboard's API token routes (PORTALS.md, Axivion section).
 *
 * The user signs in with username and password, kept in this object's memory only. Until the
 * client has a token of its own it authenticates with HTTP Basic; once it has created one it
 * authenticates with that token (`AxToken`) and forgets the password, so the dashboard can
 * mark the token as the one "used by the current request". Every request other than GET
 * carries the CSRF token of the dashboard info document.
 */
export class AxivionClient implements IPortalClient {
  constructor(config: IPortalConfig, options: IFetchOptions = {}) {
    this.config = config;
    this._fetchOptions = options;
  }

  readonly config: IPortalConfig;
  readonly capabilities = AxivionClient.CAPABILITIES;
  /** The client lists and revokes tokens itself: no page to send people to. */
  readonly manageUrl = undefined;

  get signInUrl(): string {
    return this.config.url;
  }

  /** The signed-in user's name, if any. */
  get username(): string | undefined {
    return this.#auth?.username;
  }

  async signIn(credentials: ICredentials): Promise<void> {
    this.signOut();
    const auth: Private.IAuth = {
      username: credentials.username,
      password: credentials.password
    };
    const response = await this._infoRequest(auth);
    if (response.status === 401) {
      throw new PortalError({
        reason: 'bad-credentials',
        status: 401,
        portalMessage: Private.messageOf(response.json)
      });
    }
    const info = this._parseInfo(response, auth.username);
    // The dashboard's spelling of the name (it may differ in case from what was typed).
    auth.username = info.username ?? auth.username;
    this.#auth = auth;
    this._username = auth.username;
    this._info = info;
  }

  signOut(): void {
    this.#auth = undefined;
    this._info = undefined;
  }

  async status(): Promise<IPortalStatus> {
    if (!this.#auth) {
      return { signedIn: false, available: true, tokens: [] };
    }
    const info = await this._ensureInfo();
    if (!info) {
      return { signedIn: false, available: true, tokens: [] };
    }
    const response = await this._request('GET', info.tokensUrl);
    if (response.status === 401) {
      this.signOut();
      return { signedIn: false, available: true, tokens: [] };
    }
    if (response.status !== 200) {
      Private.fail(response);
    }
    const tokens = AxivionClient.parseTokenList(response.json);
    const current = tokens.find(token => token.current);
    if (current && this.#auth?.token !== undefined) {
      this.#auth.tokenId = current.id;
    }
    return { signedIn: true, available: true, tokens };
  }

  async create(options: ICreateOptions = {}): Promise<ICreatedToken> {
    const auth = this._requireAuth();
    const hours = options.lifetimeHours ?? 0;
    const body = {
      // The panel asks for the password on every create; the sign-in one is the fallback.
      password: options.password ?? auth.password ?? '',
      type: options.type ?? this.capabilities.types[0],
      description: options.label ?? '',
      // 0 asks for the dashboard's default; a negative lifetime is the dashboard's to refuse.
      maxAgeMillis: hours ? Math.round(hours * Private.HOUR_MS) : 0
    };
    const response = await this._mutate('POST', info => info.tokensUrl, body);
    if (response.status !== 200 && response.status !== 201) {
      Private.fail(response);
    }
    const json = response.json as Record<string, unknown> | undefined;
    const secret = json?.token;
    if (typeof secret !== 'string' || !secret) {
      throw new PortalError({
        reason: 'bad-response',
        status: response.status
      });
    }
    const token = Private.tokenInfo(json);
    // From now on the client authenticates with its own newest token; the password is gone.
    this.#auth = { username: auth.username, token: secret, tokenId: token.id };
    return { ...token, secret };
  }

  async revoke(id?: string): Promise<void> {
    if (id === undefined) {
      throw new PortalError({
        reason: 'invalid',
        portalMessage: 'Axivion tokens are revoked by id.'
      });
    }
    const response = await this._mutate(
      'DELETE',
      () =>
        new URL(`api/tokens/${encodeURIComponent(id)}`, this.config.url).href
    );
    this._afterRevoke(response, [id]);
  }

  async revokeMany(ids: string[]): Promise<void> {
    if (!ids.length) {
      return;
    }
    const response = await this._mutate(
      'DELETE',
      () => new URL('api/tokens', this.config.url).href,
      ids
    );
    this._afterRevoke(response, ids);
  }

  environment(secret: string): Record<string, string> {
    // Axivion's scripts read AXIVION_PASSWORD, which may hold an API token.
    return {
      token: secret,
      username: this.#auth?.username ?? this._username ?? '',
      url: this.config.url
    };
  }

  // ---- Helpers -------------------------------------------------------------------------

  private _requireAuth(): Private.IAuth {
    if (!this.#auth) {
      throw new PortalError({ reason: 'signed-out' });
    }
    return this.#auth;
  }

  /** The info document, fetched if the client has none; undefined once signed out. */
  private async _ensureInfo(
    refresh = false
  ): Promise<Private.IInfo | undefined> {
    const auth = this.#auth;
    if (!auth) {
      return undefined;
    }
    if (this._info && !refresh) {
      return this._info;
    }
    const response = await this._infoRequest(auth);
    if (response.status === 401) {
      this.signOut();
      return undefined;
    }
    this._info = this._parseInfo(response, auth.username);
    return this._info;
  }

  /** `GET <base URL>` with `Accept: application/json`: the dashboard info document. */
  private _infoRequest(auth: Private.IAuth): Promise<IPortalResponse> {
    return this._request('GET', this.config.url, undefined, auth);
  }

  private _parseInfo(
    response: IPortalResponse,
    username: string
  ): Private.IInfo {
    if (response.status !== 200) {
      Private.fail(response);
    }
    const json = response.json as Record<string, unknown> | undefined;
    const csrfToken = json?.csrfToken;
    if (typeof csrfToken !== 'string' || !csrfToken) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    const name = typeof json?.username === 'string' ? json.username : undefined;
    // The dashboard's URLs are relative (host- or base-relative): resolve them. Without one,
    // build the documented path.
    const tokensUrl =
      typeof json?.userApiTokenUrl === 'string' && json.userApiTokenUrl
        ? json.userApiTokenUrl
        : `api/users/${encodeURIComponent(AxivionClient.escapeUser(name ?? username))}/tokens`;
    return {
      username: name,
      csrfHeader:
        typeof json?.csrfTokenHeader === 'string' && json.csrfTokenHeader
          ? json.csrfTokenHeader
          : AxivionClient.CSRF_HEADER,
      csrfToken,
      tokensUrl: new URL(tokensUrl, this.config.url).href
    };
  }

  /**
   * A request other than GET: with the CSRF token, and once more with a fresh one when the
   * dashboard refuses it (CSRF tokens expire).
   */
  private async _mutate(
    method: string,
    url: (info: Private.IInfo) => string,
    body?: unknown
  ): Promise<IPortalResponse> {
    this._requireAuth();
    for (let attempt = 0; ; attempt++) {
      const info = await this._ensureInfo(attempt > 0);
      if (!info) {
        throw new PortalError({ reason: 'signed-out', status: 401 });
      }
      const response = await this._request(method, url(info), body, undefined, {
        [info.csrfHeader]: info.csrfToken
      });
      if (attempt === 0 && Private.isCsrfRefusal(response)) {
        continue;
      }
      if (response.status === 401 && !Private.isPasswordRefusal(response)) {
        // The client's own credentials no longer work (token revoked or expired).
        this.signOut();
      }
      return response;
    }
  }

  private _afterRevoke(response: IPortalResponse, ids: string[]): void {
    if (response.status < 200 || response.status >= 300) {
      Private.fail(response);
    }
    const own = this.#auth?.tokenId;
    if (own !== undefined && ids.includes(own)) {
      // The client authenticated with that token: it has no credentials any more.
      this.signOut();
    }
  }

  private _request(
    method: string,
    url: string,
    body?: unknown,
    auth: Private.IAuth | undefined = this.#auth,
    headers: Record<string, string> = {}
  ): Promise<IPortalResponse> {
    const init: RequestInit = {
      method,
      // Authentication is explicit: never send or store the browser's cookies for this.
      credentials: 'omit',
      headers: {
        ...headers,
        ...(auth ? { Authorization: Private.authorization(auth) } : {}),
        'X-Axivion-User-Agent': 'ApiClient',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
      }
    };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    return portalFetch(url, init, this._fetchOptions);
  }

  private _fetchOptions: IFetchOptions;
  /** The password or token, in a true private field (see `PortalTokenModel.#secret`). */
  #auth?: Private.IAuth;
  private _info?: Private.IInfo;
  /**
   * Who signed in last, kept after signing out (it is no secret): the kernels' variables of a
   * token created earlier still name its owner.
   */
  private _username?: string;
}

/**
 * The AxivionClient namespace.
 */
export namespace AxivionClient {
  /** What the Axivion Dashboard's token API can do. */
  export const CAPABILITIES = AXIVION_CAPABILITIES;

  /** Default variable names by role: what Axivion's analysis scripts read. */
  export const ENV_VARS = AXIVION_ENV_VARS;

  /** The CSRF header when the info document does not name one. */
  export const CSRF_HEADER = 'AX-CSRF-Token';

  /**
   * Read a token list answer: an array of `ApiTokenInfo`, or an object holding one (the wrapper
   * is unverified). Throws a `bad-response` PortalError for anything else.
   */
  export function parseTokenList(json: unknown): ITokenInfo[] {
    return Private.tokenArray(json).map(Private.tokenInfo);
  }

  /**
   * Escape a user name for the `{user}` part of a path, before percent-encoding:
   * `:` → `:e`, `/` → `:s`, `\` → `:b`.
   */
  export function escapeUser(username: string): string {
    return username.replace(/[:/\\]/g, c =>
      c === ':' ? ':e' : c === '/' ? ':s' : ':b'
    );
  }
}

namespace Private {
  export const HOUR_MS = 60 * 60 * 1000;

  /** How the client authenticates: the password until it has a token of its own. */
  export interface IAuth {
    username: string;
    password?: string;
    token?: string;
    /** The id of `token`, once known. */
    tokenId?: string;
  }

  /** What the client keeps of the dashboard info document. */
  export interface IInfo {
    username?: string;
    csrfHeader: string;
    csrfToken: string;
    /** `userApiTokenUrl`, absolute. */
    tokensUrl: string;
  }

  export function authorization(auth: IAuth): string {
    if (auth.token !== undefined) {
      return `AxToken ${auth.token}`;
    }
    return basicAuthorization(auth.username, auth.password ?? '');
  }

  /** The dashboard's error type (`ErrorDto.type`), if any. */
  export function errorType(json: unknown): string | undefined {
    if (json && typeof json === 'object' && 'type' in json) {
      const type = (json as { type: unknown }).type;
      return typeof type === 'string' ? type : undefined;
    }
    return undefined;
  }

  /** The dashboard's message, translated when it offers a translation. */
  export function messageOf(json: unknown): string | undefined {
    if (json && typeof json === 'object' && 'localizedMessage' in json) {
      const localized = (json as { localizedMessage: unknown })
        .localizedMessage;
      if (typeof localized === 'string' && localized) {
        return localized;
      }
    }
    return httpMessageOf(json);
  }

  /** A refused CSRF token: 403 that names CSRF, or a 403 without the dashboard's error body. */
  export function isCsrfRefusal(response: IPortalResponse): boolean {
    if (response.status !== 403) {
      return false;
    }
    const type = errorType(response.json);
    return (
      type === undefined || /csrf/i.test(`${type} ${messageOf(response.json)}`)
    );
  }

  /** The password in a creation request was wrong (not the client's own authentication). */
  export function isPasswordRefusal(response: IPortalResponse): boolean {
    return errorType(response.json) === 'PasswordVerificationException';
  }

  /**
   * Throw the PortalError that an unexpected answer stands for: a refused password is
   * `bad-credentials` whatever the status, a 400 is `invalid` with the dashboard's message.
   */
  export function fail(response: IPortalResponse): never {
    const reason = isPasswordRefusal(response)
      ? 'bad-credentials'
      : response.status === 400
        ? 'invalid'
        : PortalError.reasonFor(response.status);
    throw new PortalError({
      reason,
      status: response.status,
      portalMessage: messageOf(response.json)
    });
  }

  /** The list answer as an array: a bare array, or an object holding one (unverified). */
  export function tokenArray(json: unknown): unknown[] {
    if (Array.isArray(json)) {
      return json;
    }
    if (json && typeof json === 'object') {
      const record = json as Record<string, unknown>;
      for (const key of ['tokens', 'apiTokens', 'items', 'rows']) {
        if (Array.isArray(record[key])) {
          return record[key] as unknown[];
        }
      }
      const arrays = Object.values(record).filter(Array.isArray);
      if (arrays.length === 1) {
        return arrays[0] as unknown[];
      }
    }
    throw new PortalError({ reason: 'bad-response', status: 200 });
  }

  /** An `ApiTokenInfo` as the panel's token info. */
  export function tokenInfo(value: unknown): ITokenInfo {
    if (!value || typeof value !== 'object') {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    const info = value as Record<string, unknown>;
    if (typeof info.id !== 'string' || !info.id) {
      throw new PortalError({ reason: 'bad-response', status: 200 });
    }
    const created = date(info.creationDate);
    return {
      id: info.id,
      label: typeof info.description === 'string' ? info.description : '',
      type: typeof info.type === 'string' ? info.type : undefined,
      ...(created ? { created } : {}),
      expires: date(info.expirationDate) ?? null,
      lastUsed: date(info.lastUseDate) ?? null,
      valid: info.isValid !== false,
      current: info.usedByCurrentRequest === true,
      precision: 'second'
    };
  }

  /** An ISO 8601 date, or undefined. */
  function date(value: unknown): Date | undefined {
    if (typeof value !== 'string' || !value) {
      return undefined;
    }
    const parsed = new Date(value);
    return isNaN(parsed.getTime()) ? undefined : parsed;
  }
}
