/**
 * The Axivion Dashboard under `/axivion/`: the dashboard info document, the API token routes,
 * a data route for kernels, and a small page for people. Follows /work/shared/PORTALS.md
 * (Axivion section) and the seed `002_bc855a94f37b6d8e.txt`.
 *
 * Where the sources leave a choice open, the demo's choice is written down here:
 * - A CSRF refusal is 403 with an error body of type `InvalidCsrfTokenException`
 *   (the seed names no status; 403 is what CSRF filters commonly answer).
 * - A wrong password in a creation request is 401 with type `PasswordVerificationException`
 *   (the type is the dashboard's; the status is unverified), so a client must look at the type
 *   to tell it from its own failed authentication.
 * - Token creation answers 200 (PORTALS.md: 201 is possible; clients accept both).
 * - DELETE answers 204 without a body, whether or not the token existed.
 * - The token list is a plain JSON array of `ApiTokenInfo`.
 * - Another user's token list is 403; another user's token is 404, as an unknown one.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';

import { sendTruncated } from '../faults';
import {
  decodeBasic,
  IRequestContext,
  readBody,
  readJson,
  sendHtml,
  sendJson,
  wantsHtml
} from '../http';
import {
  ErrorCause,
  IPortalDependencies,
  IPortalModule,
  IPortalRoute,
  IRouteContext,
  PortalModule
} from '../portal';
import type { IDemoUser } from '../users';
import { CsrfTokens } from './csrf';
import { homePage } from './pages';
import {
  API_TOKEN_TYPES,
  ApiTokenType,
  AxivionTokenStore,
  CREATABLE_TOKEN_TYPES,
  IAxivionToken
} from './tokens';
import {
  AXIVION_BASE_PATH,
  canonicalAxivionPath,
  lastSegment,
  unescapeAxivionUser,
  userTokensPath
} from './urls';

export {
  AXIVION_BASE_PATH,
  canonicalAxivionPath,
  escapeAxivionUser,
  unescapeAxivionUser
} from './urls';

/** The header every request other than GET/HEAD/OPTIONS must carry. */
export const CSRF_HEADER = 'AX-CSRF-Token';

/** The dashboard version the demo claims to be (7.12 brought bulk deletion). */
export const DASHBOARD_VERSION = '7.12.3';

/** How long a CSRF token lives by default. */
export const DEFAULT_CSRF_LIFETIME_MS = 60 * 60 * 1000;

/** The lifetime of a token created with `maxAgeMillis: 0` ("choose a default for me"). */
export const DEFAULT_TOKEN_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/** The messages the demo dashboard answers with. */
export const AxivionMessages = Object.freeze({
  notAuthenticated: 'Authentication required.',
  badCredentials: 'Invalid username, password or API token.',
  tokenExpired: 'The API token is no longer valid.',
  csrfMissing: `Missing CSRF token: send the ${CSRF_HEADER} header from the dashboard info.`,
  csrfInvalid: 'Invalid CSRF token.',
  csrfExpired:
    'The CSRF token has expired: fetch a new one from the dashboard info.',
  wrongPassword: 'The password is not correct.',
  otherUser: 'You may only manage your own API tokens.',
  tokenNotFound: 'No such API token.',
  notCreatable: 'Tokens of this type cannot be created via this API.',
  unknownType: 'Unknown API token type.',
  negativeMaxAge: 'maxAgeMillis must not be negative.',
  badMaxAge: 'maxAgeMillis must be an integer.',
  badPassword: 'password must be a string.',
  badDescription: 'description must be a string.',
  badBody: 'The request body must be a JSON object.',
  badBulkBody: 'The request body must be a JSON array of token ids.',
  badUser: 'Invalid user name escaping in the path.'
});

/** Options of the Axivion module. */
export interface IAxivionOptions {
  /** How long a CSRF token from the info document is accepted (ms). */
  csrfLifetimeMs?: number;
  /** The lifetime of tokens created with `maxAgeMillis: 0` (ms). */
  defaultTokenMaxAgeMs?: number;
}

/** Creates the Axivion Dashboard module. */
export function createAxivionPortal(
  deps: IPortalDependencies,
  options: IAxivionOptions = {}
): IPortalModule {
  return new AxivionPortal(deps, options);
}

/**
 * The dashboard's error body (its `ErrorDto`): a type, an English message and its translation.
 */
export function axivionError(
  type: string,
  message: string,
  data?: Record<string, unknown>
) {
  return {
    dashboardVersionNumber: DASHBOARD_VERSION,
    type,
    message,
    localizedMessage: message,
    ...(data ? { data } : {})
  };
}

/** Who a request is, once authenticated. */
interface IAuthenticated {
  readonly user: IDemoUser;
  /** The token that authenticated the request, if it was one. */
  readonly token?: IAxivionToken;
}

class AxivionPortal extends PortalModule {
  readonly name = 'axivion';
  /**
   * The dashboard keeps no session cookies here: every API request authenticates itself. So
   * it signs no one in, and does not open the way to JupyterLab.
   */
  readonly sessionCookies = [] as const;

  constructor(deps: IPortalDependencies, options: IAxivionOptions) {
    super(deps);
    this._tokens = new AxivionTokenStore({ clock: deps.clock });
    this._csrf = new CsrfTokens({
      lifetimeMs: options.csrfLifetimeMs ?? DEFAULT_CSRF_LIFETIME_MS
    });
    this._defaultMaxAgeMs =
      options.defaultTokenMaxAgeMs ?? DEFAULT_TOKEN_MAX_AGE_MS;
  }

  reset(): void {
    this._tokens.clear();
    this._csrf.reset();
  }

  protected readonly basePath = AXIVION_BASE_PATH;
  protected readonly apiPrefix = AXIVION_BASE_PATH;

  protected readonly routes: IPortalRoute[] = [
    { method: 'GET', path: '/axivion/', run: c => this._home(c) },
    { method: 'GET', path: '/axivion/api', run: c => this._info(c) },
    {
      method: 'GET',
      path: '/axivion/api/projects',
      run: c => this._projects(c)
    },
    {
      method: 'GET',
      path: '/axivion/api/users/{user}/tokens',
      run: c => this._listTokens(c)
    },
    {
      method: 'POST',
      path: '/axivion/api/users/{user}/tokens',
      run: c => this._createToken(c)
    },
    {
      method: 'DELETE',
      path: '/axivion/api/tokens',
      run: c => this._deleteTokens(c)
    },
    {
      method: 'GET',
      path: '/axivion/api/tokens/{id}',
      run: c => this._getToken(c)
    },
    {
      method: 'DELETE',
      path: '/axivion/api/tokens/{id}',
      run: c => this._deleteToken(c)
    }
  ];

  protected readonly testHooks = {
    'expire-token': async (context: IRequestContext) => {
      // Makes a user's tokens (or one token) expire now: they become tombstones at once.
      const body = await readJson(context.req);
      const username =
        typeof body.username === 'string' ? body.username : undefined;
      const id = typeof body.id === 'string' ? body.id : undefined;
      if (username === undefined && id === undefined) {
        sendJson(context.res, 400, { message: 'Give "username" or "id".' });
        return;
      }
      const expired = this._tokens.expire({ username, id });
      sendJson(context.res, expired ? 200 : 404, { expired });
    },
    'expire-csrf': async (context: IRequestContext) => {
      // Every CSRF token handed out so far counts as expired from now on.
      this._csrf.expireAll();
      sendJson(context.res, 200, { expired: true });
    }
  };

  /** Routes and faults see every user and every token id of a route alike. */
  protected canonicalPath(path: string): string {
    return canonicalAxivionPath(path);
  }

  /**
   * How the dashboard answers an error: its `ErrorDto`, of type `ServerException` for a fault,
   * `NotFoundException` or `MethodNotAllowedException` when no route takes the request.
   */
  protected error(
    { res }: IRouteContext,
    status: number,
    cause: ErrorCause
  ): void {
    const [type, message] =
      cause.kind === 'fault'
        ? ['ServerException', cause.message ?? STATUS_CODES[status] ?? 'Error']
        : cause.kind === 'method-not-allowed'
          ? ['MethodNotAllowedException', 'Method Not Allowed']
          : ['NotFoundException', 'Not Found'];
    sendJson(res, status, axivionError(type, message));
  }

  /** How the dashboard answers a malformed fault: a token list cut short. */
  protected malformed({ res }: IRouteContext, status: number | undefined) {
    sendTruncated(res, status ?? 200, '[{"id":"tok');
  }

  // ---- The dashboard info document ------------------------------------------------------

  private async _home(context: IRequestContext): Promise<void> {
    if (wantsHtml(context.req)) {
      sendHtml(context.res, 200, homePage({ version: DASHBOARD_VERSION }));
      return;
    }
    await this._info(context);
  }

  private async _info(context: IRequestContext): Promise<void> {
    const auth = this._authenticate(context);
    if (!auth) {
      return;
    }
    const { username } = auth.user;
    const host = context.req.headers.host ?? '127.0.0.1';
    sendJson(context.res, 200, {
      mainUrl: `http://${host}${AXIVION_BASE_PATH}`,
      dashboardVersion: DASHBOARD_VERSION,
      dashboardVersionNumber: DASHBOARD_VERSION,
      dashboardBuildDate: '2026-10-01',
      username,
      csrfTokenHeader: CSRF_HEADER,
      csrfToken: this._csrf.issue(username),
      projects: Private.PROJECTS,
      // Host-relative, as the dashboard's URLs are: resolve it against the base URL.
      userApiTokenUrl: userTokensPath(username),
      supportAddress: 'support@axivion.example.org'
    });
  }

  // ---- Data: what a kernel calls with AXIVION_USERNAME / AXIVION_PASSWORD ----------------

  private async _projects(context: IRequestContext): Promise<void> {
    if (!this._authenticate(context)) {
      return;
    }
    sendJson(context.res, 200, { projects: Private.PROJECTS });
  }

  // ---- API tokens ------------------------------------------------------------------------

  private async _listTokens(context: IRequestContext): Promise<void> {
    const auth = this._authenticate(context);
    if (!auth || !this._ownUser(context, auth)) {
      return;
    }
    sendJson(
      context.res,
      200,
      this._tokens.list(auth.user.username).map(t => this._tokenInfo(t, auth))
    );
  }

  private async _createToken(context: IRequestContext): Promise<void> {
    const { req, res } = context;
    const auth = this._authenticate(context);
    if (
      !auth ||
      !this._checkCsrf(context, auth) ||
      !this._ownUser(context, auth)
    ) {
      return;
    }
    const body = Private.parseJson(await readBody(req));
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      Private.badRequest(res, AxivionMessages.badBody);
      return;
    }
    const request = body as Record<string, unknown>;
    if (typeof request.password !== 'string') {
      Private.badRequest(res, AxivionMessages.badPassword);
      return;
    }
    if (!this.deps.users.verify(auth.user.username, request.password)) {
      // The dashboard hints when the "password" is one of the user's API tokens.
      const check = this._tokens.check(request.password, auth.user.username);
      sendJson(
        res,
        401,
        axivionError(
          'PasswordVerificationException',
          AxivionMessages.wrongPassword,
          { passwordMayBeUsedAsApiToken: check.ok }
        )
      );
      return;
    }
    const type = request.type;
    if (
      typeof type !== 'string' ||
      !(API_TOKEN_TYPES as readonly string[]).includes(type)
    ) {
      Private.badRequest(res, AxivionMessages.unknownType);
      return;
    }
    if (!CREATABLE_TOKEN_TYPES.includes(type as ApiTokenType)) {
      Private.badRequest(res, AxivionMessages.notCreatable);
      return;
    }
    const description = request.description ?? '';
    if (typeof description !== 'string') {
      Private.badRequest(res, AxivionMessages.badDescription);
      return;
    }
    const maxAge = request.maxAgeMillis;
    if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge)) {
      Private.badRequest(res, AxivionMessages.badMaxAge);
      return;
    }
    if (maxAge < 0) {
      Private.badRequest(res, AxivionMessages.negativeMaxAge);
      return;
    }
    const created = this._tokens.create(auth.user.username, {
      type: type as ApiTokenType,
      description,
      maxAgeMs: maxAge === 0 ? this._defaultMaxAgeMs : maxAge
    });
    sendJson(res, 200, {
      ...this._tokenInfo(created.record, auth),
      token: created.secret
    });
  }

  private async _getToken(context: IRequestContext): Promise<void> {
    const auth = this._authenticate(context);
    if (!auth) {
      return;
    }
    const record = this._tokens.get(lastSegment(context.url));
    if (!record || record.username !== auth.user.username) {
      sendJson(
        context.res,
        404,
        axivionError('NotFoundException', AxivionMessages.tokenNotFound)
      );
      return;
    }
    sendJson(context.res, 200, this._tokenInfo(record, auth));
  }

  private async _deleteToken(context: IRequestContext): Promise<void> {
    const auth = this._authenticate(context);
    if (!auth || !this._checkCsrf(context, auth)) {
      return;
    }
    context.req.resume();
    // No word on whether it existed (or was someone else's).
    this._tokens.delete(lastSegment(context.url), auth.user.username);
    Private.noContent(context);
  }

  private async _deleteTokens(context: IRequestContext): Promise<void> {
    const auth = this._authenticate(context);
    if (!auth || !this._checkCsrf(context, auth)) {
      return;
    }
    const ids = Private.parseJson(await readBody(context.req));
    if (!Array.isArray(ids) || !ids.every(id => typeof id === 'string')) {
      Private.badRequest(context.res, AxivionMessages.badBulkBody);
      return;
    }
    // Unknown ids and other users' tokens are skipped silently.
    for (const id of ids as string[]) {
      this._tokens.delete(id, auth.user.username);
    }
    Private.noContent(context);
  }

  // ---- Helpers -----------------------------------------------------------------------

  /**
   * Who sent the request: HTTP Basic with the password or an API token of that user, or
   * `Authorization: AxToken <token>`. Answers 401 and resolves null otherwise.
   *
   * No `WWW-Authenticate: Basic` on these JSON answers: a browser would pop its own password
   * dialog over JupyterLab whenever a stale token is refused.
   */
  private _authenticate(context: IRequestContext): IAuthenticated | null {
    const { req, res } = context;
    const header = req.headers.authorization ?? '';
    const basic = Private.basicCredentials(req);
    const axToken = basic ? null : /^AxToken\s+(\S+)\s*$/i.exec(header);
    let failure: string = header
      ? AxivionMessages.badCredentials
      : AxivionMessages.notAuthenticated;
    if (basic) {
      const user = this.deps.users.verify(basic.username, basic.password);
      if (user) {
        return { user };
      }
    }
    if (basic || axToken) {
      const check = basic
        ? this._tokens.authenticate(basic.password, basic.username)
        : this._tokens.authenticate(axToken![1]);
      const user = check.ok
        ? this.deps.users.byName(check.record.username)
        : undefined;
      if (check.ok && user) {
        return { user, token: check.record };
      }
      if (!check.ok && check.reason === 'expired') {
        failure = AxivionMessages.tokenExpired;
      }
    }
    req.resume();
    sendJson(res, 401, axivionError('AuthenticationException', failure));
    return null;
  }

  /**
   * The CSRF check for requests other than GET/HEAD/OPTIONS. Answers 403 and resolves false
   * when the header is missing, wrong, another user's, or expired.
   */
  private _checkCsrf(context: IRequestContext, auth: IAuthenticated): boolean {
    if (['GET', 'HEAD', 'OPTIONS'].includes(context.method)) {
      return true;
    }
    const given = context.req.headers[CSRF_HEADER.toLowerCase()];
    const verdict =
      typeof given === 'string' && given
        ? this._csrf.verify(given, auth.user.username)
        : 'missing';
    if (verdict === 'ok') {
      return true;
    }
    context.req.resume();
    const message =
      verdict === 'missing'
        ? AxivionMessages.csrfMissing
        : verdict === 'expired'
          ? AxivionMessages.csrfExpired
          : AxivionMessages.csrfInvalid;
    sendJson(
      context.res,
      403,
      axivionError('InvalidCsrfTokenException', message)
    );
    return false;
  }

  /** Whether `{user}` in the path is the authenticated user; answers 400/403 otherwise. */
  private _ownUser(context: IRequestContext, auth: IAuthenticated): boolean {
    const segment = context.url.pathname.split('/')[4] ?? '';
    let decoded: string | null;
    try {
      decoded = unescapeAxivionUser(decodeURIComponent(segment));
    } catch {
      decoded = null;
    }
    if (decoded === null) {
      context.req.resume();
      Private.badRequest(context.res, AxivionMessages.badUser);
      return false;
    }
    if (decoded !== auth.user.username) {
      context.req.resume();
      sendJson(
        context.res,
        403,
        axivionError('PermissionException', AxivionMessages.otherUser)
      );
      return false;
    }
    return true;
  }

  /** The seed's `ApiTokenInfo`, without the secret. */
  private _tokenInfo(record: IAxivionToken, auth: IAuthenticated) {
    const now = this.deps.clock.now();
    return {
      id: record.id,
      url: `${AXIVION_BASE_PATH}api/tokens/${encodeURIComponent(record.id)}`,
      isValid: this._tokens.isValid(record),
      type: record.type,
      description: record.description,
      creationDate: record.createdAt.toISOString(),
      displayCreationDate: Private.relative(record.createdAt, now),
      expirationDate: record.expiresAt.toISOString(),
      displayExpirationDate: Private.relative(record.expiresAt, now),
      lastUseDate: record.lastUsedAt ? record.lastUsedAt.toISOString() : null,
      displayLastUseDate: record.lastUsedAt
        ? Private.relative(record.lastUsedAt, now)
        : 'Never',
      usedByCurrentRequest: auth.token?.id === record.id
    };
  }

  private _tokens: AxivionTokenStore;
  private _csrf: CsrfTokens;
  private _defaultMaxAgeMs: number;
}

namespace Private {
  /** The projects every demo user sees. */
  export const PROJECTS = Object.freeze([
    {
      name: 'demo-project',
      url: `${AXIVION_BASE_PATH}api/projects/demo-project`
    },
    { name: 'hpc-solver', url: `${AXIVION_BASE_PATH}api/projects/hpc-solver` }
  ]);

  /** JSON.parse that yields undefined instead of throwing. */
  export function parseJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  export function badRequest(
    res: IRequestContext['res'],
    message: string
  ): void {
    sendJson(res, 400, axivionError('BadRequestException', message));
  }

  export function noContent({ res }: IRequestContext): void {
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  }

  /** Credentials from an `Authorization: Basic` header, if present. */
  export function basicCredentials(
    req: IncomingMessage
  ): { username: string; password: string } | undefined {
    const match = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match ? decodeBasic(match[1]) : undefined;
  }

  /** "3 months from now", "2 days ago", "a few seconds ago": the dashboard's display dates. */
  export function relative(date: Date, now: Date): string {
    const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
    const abs = Math.abs(seconds);
    const units: [number, string][] = [
      [365 * 86400, 'year'],
      [30 * 86400, 'month'],
      [86400, 'day'],
      [3600, 'hour'],
      [60, 'minute']
    ];
    let text = 'a few seconds';
    for (const [size, name] of units) {
      if (abs >= size) {
        const count = Math.floor(abs / size);
        text = `${count} ${name}${count === 1 ? '' : 's'}`;
        break;
      }
    }
    return seconds > 0 ? `${text} from now` : `${text} ago`;
  }
}
