/**
 * The Open XDMoD portal: sign-in, the API token routes, the data warehouse routes, CORS,
 * and the people's pages. Follows /work/shared/PORTALS.md (XDMoD section).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

import { formatXdmodDate, parseInterval } from '../dates';
import { sendTruncated } from '../faults';
import {
  addCookies,
  decodeBasic,
  IRequestContext,
  parseCookies,
  readFields,
  redirect,
  safeNext,
  sendHtml,
  sendJson,
  serializeCookie,
  wantsHtml
} from '../http';
import {
  ErrorCause,
  expireUserTokens,
  IPortalDependencies,
  IPortalModule,
  IPortalRoute,
  IRouteContext,
  PortalModule
} from '../portal';
import { ISession, SessionStore } from '../sessions';
import type { IDemoUser } from '../users';
import { homePage, signInPage, tokenPage } from './pages';
import { XdmodTokenStore } from './tokens';
import { RAW_DATA, RESOURCES } from './warehouse';

export { formatXdmodDate } from '../dates';

/** The messages XDMoD answers with. */
export const XdmodMessages = Object.freeze({
  notSignedIn: 'Session Expired',
  badCredentials: 'Invalid credentials specified.',
  tokenNotFound: 'API token not found.',
  tokenExists: 'Token already exists.',
  tokenRevoked: 'Token successfully revoked.',
  revokeFailed: 'Unable to revoke API token.',
  noToken: 'No token provided.',
  invalidToken: 'Invalid token.',
  expiredToken: 'Token has expired.',
  loggedOut: 'User logged out successfully'
});

/** The message people see on the sign-in page after a failed attempt. */
export const SIGN_IN_ERROR = 'Invalid username or password.';

/** XDMoD's default `[api_token] expiration_interval`. */
export const DEFAULT_TOKEN_LIFETIME = '6 months';

/** The cookie holding XDMoD's session token. */
export const TOKEN_COOKIE = 'xdmod_token';

/** PHP's session cookie. */
export const SESSION_COOKIE = 'PHPSESSID';

/** XDMoD's error body, exactly. */
export function xdmodError(message: string) {
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

/** Options of the XDMoD module. */
export interface IXdmodOptions {
  /** Token lifetime: `"6 months"`, `"3 hours"`, `"10 seconds"`, or seconds. */
  tokenLifetime?: string | number;
  /** Exact origins allowed to call the REST API with credentials (`[cors] domains`). */
  corsOrigins?: readonly string[];
  /** Whether JupyterLab is served under /jupyter/ (for the home page's link). */
  jupyter?: boolean;
}

/** Creates the XDMoD portal module. */
export function createXdmodPortal(
  deps: IPortalDependencies,
  options: IXdmodOptions = {}
): IPortalModule {
  return new XdmodPortal(deps, options);
}

/**
 * Rewrites `/rest/v1/...` (any version) to `/rest/...`: every XDMoD route answers under both.
 */
export function canonicalXdmodPath(path: string): string {
  return path.replace(/^\/rest\/v[0-9]+(?=\/|$)/, '/rest');
}

class XdmodPortal extends PortalModule {
  readonly name = 'xdmod';
  readonly sessionCookies = [TOKEN_COOKIE, SESSION_COOKIE] as const;

  constructor(deps: IPortalDependencies, options: IXdmodOptions) {
    super(deps);
    const lifetime = parseInterval(
      options.tokenLifetime ?? DEFAULT_TOKEN_LIFETIME
    );
    this._tokens = new XdmodTokenStore({ lifetime, clock: deps.clock });
    // Browsers send origins without a trailing slash; settings often have one.
    this._cors = new Set(
      (options.corsOrigins ?? []).map(origin => origin.replace(/\/+$/, ''))
    );
    this._jupyter = options.jupyter ?? false;
  }

  signedInUser(req: IncomingMessage): IDemoUser | undefined {
    const session = this._sessionFromCookies(req);
    return session ? this.deps.users.byId(session.userId) : undefined;
  }

  reset(): void {
    this._tokens.clear();
  }

  protected readonly basePath = '/';
  protected readonly apiPrefix = '/rest';

  protected readonly routes: IPortalRoute[] = [
    { method: 'POST', path: '/rest/auth/login', run: c => this._login(c) },
    { method: 'POST', path: '/rest/auth/logout', run: c => this._logout(c) },
    { method: 'GET', path: Private.TOKEN_PATH, run: c => this._getToken(c) },
    {
      method: 'POST',
      path: Private.TOKEN_PATH,
      run: c => this._createToken(c)
    },
    {
      method: 'DELETE',
      path: Private.TOKEN_PATH,
      run: c => this._revokeToken(c)
    },
    {
      method: 'GET',
      path: '/rest/warehouse/resources',
      run: c => this._warehouse(c, () => RESOURCES)
    },
    {
      method: 'GET',
      path: '/rest/warehouse/raw-data',
      run: c => this._warehouse(c, () => RAW_DATA)
    }
  ];

  protected readonly pages: IPortalRoute[] = [
    { method: 'GET', path: '/', run: c => this._home(c) },
    { method: 'GET', path: '/profile/api-token', run: c => this._tokenPage(c) },
    {
      method: 'POST',
      path: '/profile/api-token',
      run: c => this._tokenPageAction(c)
    }
  ];

  protected readonly testHooks = {
    // Makes a user's token expire now, so clients can meet "Token has expired." at once.
    'expire-token': expireUserTokens(this.deps.users, id =>
      this._tokens.expire(id)
    )
  };

  protected canonicalPath(path: string): string {
    return canonicalXdmodPath(path);
  }

  protected beforeApi(context: IRouteContext): boolean {
    this._applyCors(context.req, context.res);
    if (context.method !== 'OPTIONS') {
      return false;
    }
    // A preflight: the allowed headers but never the allowed methods, like XDMoD,
    // so a cross-origin DELETE fails.
    context.res.writeHead(204, { 'Content-Length': 0 });
    context.res.end();
    return true;
  }

  /** XDMoD's error body, with the message XDMoD itself would give unless a fault brings one. */
  protected error(
    { res, method, path }: IRouteContext,
    status: number,
    cause: ErrorCause
  ): void {
    const message = cause.kind === 'fault' ? cause.message : undefined;
    sendJson(
      res,
      status,
      xdmodError(message ?? Private.defaultMessage(method, path, status))
    );
  }

  /** A malformed fault: a token answer cut short. */
  protected malformed({ res }: IRouteContext, status: number | undefined) {
    sendTruncated(res, status ?? 200, '{"success":true,"data":{"tok');
  }

  // ---- REST: authentication -------------------------------------------------------

  private async _login({ req, res }: IRequestContext): Promise<void> {
    const fields = await readFields(req);
    const basic = Private.basicCredentials(req);
    const username = basic?.username ?? fields.username ?? '';
    const password = basic?.password ?? fields.password ?? '';
    const browser = wantsHtml(req) || fields.redirect !== undefined;
    const user = this.deps.users.verify(username, password);
    if (!user) {
      if (browser) {
        sendHtml(
          res,
          401,
          signInPage({
            error: SIGN_IN_ERROR,
            username,
            next: fields.next
          })
        );
      } else {
        sendJson(res, 401, xdmodError(XdmodMessages.badCredentials));
      }
      return;
    }
    // A new session on every sign-in: an old session id must not survive it.
    this._sessions.close(parseCookies(req)[SESSION_COOKIE]);
    const session = this._sessions.open(user.id);
    addCookies(res, [
      // Real XDMoD marks xdmod_token `Secure`; the demo serves plain http on 127.0.0.1,
      // where a browser would drop a Secure cookie, so it is left out here.
      // Path=/ as XDMoD's own (PHP's setcookie with '/'): without it, a sign-in through
      // `/rest/auth/login` would scope the session to `/rest/auth/` (RFC 6265's default path).
      serializeCookie(TOKEN_COOKIE, session.token, {
        httpOnly: true,
        path: '/'
      }),
      serializeCookie(SESSION_COOKIE, session.id, { httpOnly: true, path: '/' })
    ]);
    if (browser) {
      redirect(res, 303, safeNext(fields.next, this.deps.landingPath));
      return;
    }
    sendJson(res, 200, {
      success: true,
      results: { token: session.token, name: user.name }
    });
  }

  private async _logout({ req, res }: IRequestContext): Promise<void> {
    const fields = await readFields(req);
    this._sessions.close(parseCookies(req)[SESSION_COOKIE]);
    addCookies(res, [
      serializeCookie(TOKEN_COOKIE, '', {
        httpOnly: true,
        maxAge: 0,
        path: '/'
      }),
      serializeCookie(SESSION_COOKIE, '', {
        httpOnly: true,
        maxAge: 0,
        path: '/'
      })
    ]);
    if (wantsHtml(req) || fields.redirect !== undefined) {
      redirect(res, 303, '/');
      return;
    }
    sendJson(res, 200, { success: true, message: XdmodMessages.loggedOut });
  }

  // ---- REST: the API token of the signed-in user ---------------------------------

  private async _getToken(context: IRequestContext): Promise<void> {
    const user = this._requireSession(context);
    if (!user) {
      return;
    }
    const record = this._tokens.get(user.id);
    if (!record) {
      sendJson(context.res, 404, xdmodError(XdmodMessages.tokenNotFound));
      return;
    }
    sendJson(context.res, 200, {
      success: true,
      data: {
        created_on: formatXdmodDate(record.createdOn),
        expiration_date: formatXdmodDate(record.expiresOn)
      }
    });
  }

  private async _createToken(context: IRequestContext): Promise<void> {
    const user = this._requireSession(context);
    if (!user) {
      return;
    }
    const created = await this._tokens.create(user.id);
    if (!created) {
      sendJson(context.res, 409, xdmodError(XdmodMessages.tokenExists));
      return;
    }
    sendJson(context.res, 200, {
      success: true,
      data: {
        token: created.token,
        expiration_date: formatXdmodDate(created.expiresOn)
      }
    });
  }

  private async _revokeToken(context: IRequestContext): Promise<void> {
    const user = this._requireSession(context);
    if (!user) {
      return;
    }
    if (!this._tokens.revoke(user.id)) {
      sendJson(context.res, 404, xdmodError(XdmodMessages.tokenNotFound));
      return;
    }
    sendJson(context.res, 200, {
      success: true,
      message: XdmodMessages.tokenRevoked
    });
  }

  // ---- REST: data warehouse, API token only -----------------------------------------

  private async _warehouse(
    context: IRequestContext,
    answer: () => unknown
  ): Promise<void> {
    const { req, res, url } = context;
    const header = req.headers.authorization ?? '';
    // As XDMoD: the header counts only when it starts with "Bearer "; else the parameter.
    let raw = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!raw) {
      raw = url.searchParams.get('Bearer') ?? '';
    }
    const challenge = { 'WWW-Authenticate': 'Bearer' };
    if (!raw) {
      sendJson(res, 401, xdmodError(XdmodMessages.noToken), challenge);
      return;
    }
    const check = await this._tokens.check(raw);
    if (!check.ok) {
      const message =
        check.reason === 'expired'
          ? XdmodMessages.expiredToken
          : XdmodMessages.invalidToken;
      sendJson(res, 401, xdmodError(message), challenge);
      return;
    }
    sendJson(res, 200, answer());
  }

  // ---- Pages ---------------------------------------------------------------------------

  private async _home({ req, res, url }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      sendHtml(
        res,
        200,
        signInPage({ next: url.searchParams.get('next') ?? '' })
      );
      return;
    }
    const next = url.searchParams.get('next');
    if (next) {
      // Already signed in: go straight on.
      redirect(res, 302, safeNext(next, '/'));
      return;
    }
    sendHtml(res, 200, homePage({ user, jupyter: this._jupyter }));
  }

  private async _tokenPage({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 302, '/?next=/profile/api-token');
      return;
    }
    sendHtml(res, 200, tokenPage({ user, token: this._tokenView(user) }));
  }

  private async _tokenPageAction({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 303, '/?next=/profile/api-token');
      return;
    }
    const { action } = await readFields(req);
    if (action === 'delete') {
      const revoked = this._tokens.revoke(user.id);
      sendHtml(
        res,
        revoked ? 200 : 404,
        tokenPage({
          user,
          message: revoked
            ? 'Your API token was deleted.'
            : XdmodMessages.tokenNotFound
        })
      );
      return;
    }
    if (action === 'create') {
      const created = await this._tokens.create(user.id);
      sendHtml(
        res,
        created ? 200 : 409,
        tokenPage({
          user,
          token: this._tokenView(user),
          newToken: created?.token,
          message: created ? undefined : XdmodMessages.tokenExists
        })
      );
      return;
    }
    sendHtml(res, 400, tokenPage({ user, token: this._tokenView(user) }));
  }

  // ---- Helpers -----------------------------------------------------------------------

  /**
   * The signed-in user for the token routes, or null after answering 401.
   *
   * XDMoD accepts the session token from the `xdmod_token` cookie, a `Token` header or a
   * `token` query parameter, always together with the PHP session cookie.
   */
  private _requireSession({ req, res, url }: IRequestContext) {
    const cookies = parseCookies(req);
    const header = req.headers.token;
    const token =
      (typeof header === 'string' && header) ||
      url.searchParams.get('token') ||
      cookies[TOKEN_COOKIE];
    const session = this._sessions.authenticate(cookies[SESSION_COOKIE], token);
    const user = session ? this.deps.users.byId(session.userId) : undefined;
    if (!user) {
      sendJson(res, 401, xdmodError(XdmodMessages.notSignedIn));
      return null;
    }
    return user;
  }

  private _sessionFromCookies(req: IncomingMessage): ISession | undefined {
    const cookies = parseCookies(req);
    return this._sessions.authenticate(
      cookies[SESSION_COOKIE],
      cookies[TOKEN_COOKIE]
    );
  }

  private _tokenView(user: IDemoUser) {
    const record = this._tokens.get(user.id);
    return record
      ? {
          createdOn: formatXdmodDate(record.createdOn),
          expiresOn: formatXdmodDate(record.expiresOn),
          expired: record.expiresOn.getTime() < this.deps.clock.now().getTime()
        }
      : undefined;
  }

  /** XDMoD's CORS: exact origins, credentials, two headers, and never the methods. */
  private _applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !this._cors.has(origin)) {
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader(
      'Access-Control-Allow-Headers',
      'x-requested-with, content-type'
    );
    res.setHeader('Vary', 'Origin');
  }

  private _tokens: XdmodTokenStore;
  private _sessions = new SessionStore();
  private _cors: Set<string>;
  private _jupyter: boolean;
}

namespace Private {
  /** Credentials from an `Authorization: Basic` header, if present. */
  export function basicCredentials(
    req: IncomingMessage
  ): { username: string; password: string } | undefined {
    const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return match ? decodeBasic(match[1]) : undefined;
  }

  /** The API token route of the signed-in user. */
  export const TOKEN_PATH = '/rest/users/current/api/token';

  /** The message XDMoD itself would give for a route failing with `status`. */
  export function defaultMessage(
    method: string,
    path: string,
    status: number
  ): string {
    if (status === 401) {
      return XdmodMessages.notSignedIn;
    }
    if (path === TOKEN_PATH) {
      if (method === 'DELETE' && status >= 500) {
        return XdmodMessages.revokeFailed;
      }
      if (status === 404) {
        return XdmodMessages.tokenNotFound;
      }
      if (status === 409) {
        return XdmodMessages.tokenExists;
      }
    }
    return STATUS_CODES[status] ?? 'Error';
  }
}
