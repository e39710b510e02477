/**
 * The SODAR portal (SODAR Core's tokens app, SODAR ≥ 1.3) under `/sodar/`: the REST token
 * login, one data route that takes a token, and the people's pages. Follows
 * /work/shared/PORTALS.md (SODAR section) and SODAR Core's `tokens/views_api.py` with
 * Django REST framework's content negotiation, versioning and authentication order.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

import { applyFault, IFaultReplies, sendTruncated } from './faults';
import {
  addCookies,
  decodeBasic,
  IRequestContext,
  parseCookies,
  readBody,
  readFields,
  redirect,
  Route,
  safeNext,
  sendHtml,
  sendJson,
  serializeCookie
} from './http';
import { expireUserTokens, IPortalDependencies, IPortalModule } from './portal';
import { ISession, SessionStore } from './sessions';
import { SodarLockout } from './sodar-lockout';
import {
  SODAR_BASE,
  sodarHomePage,
  sodarSignInPage,
  sodarTokenListPage
} from './sodar-pages';
import { SodarTokenStore, TOKEN_LABEL_MAX_LENGTH } from './sodar-tokens';
import type { IDemoUser } from './users';

export { SODAR_BASE } from './sodar-pages';

/** The tokens API's media type; clients add `; version=1.0`. */
export const TOKENS_MEDIA_TYPE =
  'application/vnd.bihealth.sodar-core.tokens+json';

/** The projectroles API's media type (the data route). */
export const PROJECTROLES_MEDIA_TYPE =
  'application/vnd.bihealth.sodar-core.projectroles+json';

/** SODAR's session cookie (Django's `sessionid`, renamed so it cannot clash). */
export const SODAR_SESSION_COOKIE = 'sodar_sessionid';

/** SODAR's `TIME_ZONE`: expiry dates carry its offset. */
export const DEFAULT_SODAR_TIME_ZONE = 'Europe/Berlin';

/** The `detail` messages SODAR (DRF, knox, axes) answers with. */
export const SodarMessages = Object.freeze({
  notProvided: 'Authentication credentials were not provided.',
  badCredentials: 'Invalid username/password.',
  basicNoCredentials: 'Invalid basic header. No credentials provided.',
  basicBadEncoding:
    'Invalid basic header. Credentials not correctly base64 encoded.',
  locked: 'Account locked: too many login attempts.',
  notAcceptable: 'Could not satisfy the request Accept header.',
  invalidVersion: 'Invalid version in "Accept" header.',
  tokenNoCredentials: 'Invalid token header. No credentials provided.',
  tokenSpaces: 'Invalid token header. Token string should not contain spaces.',
  invalidToken: 'Invalid token.',
  notFound: 'Not found.'
});

/** The message on the sign-in page after a failed attempt (Django's login form). */
export const SODAR_SIGN_IN_ERROR =
  'Please enter a correct username and password. Note that both fields may be case-sensitive.';

/** The `WWW-Authenticate` challenge: DRF takes it from the first authentication class, Basic. */
export const SODAR_CHALLENGE = 'Basic realm="api"';

/** The 400 body for a label over 256 characters: a bare DRF `ValidationError` (a list). */
export function labelTooLong(length: number): string[] {
  return [
    `Maximum sodar_label length of ${TOKEN_LABEL_MAX_LENGTH} exceeded (length=${length})`
  ];
}

/** Options of the SODAR module. */
export interface ISodarOptions {
  /** Failed sign-ins that lock an account (5 by default). */
  lockoutFailures?: number;
  /** How long a lockout lasts, in ms (15 minutes by default). */
  lockoutMs?: number;
  /** The portal's time zone for expiry dates (`Europe/Berlin` by default). */
  timeZone?: string;
  /** Whether JupyterLab is served under /jupyter/ (for the home page's link). */
  jupyter?: boolean;
}

/** Creates the SODAR portal module. */
export function createSodarPortal(
  deps: IPortalDependencies,
  options: ISodarOptions = {}
): IPortalModule {
  return new SodarPortal(deps, options);
}

/**
 * Formats a date as Python's `datetime.isoformat()` does for an aware datetime in `timeZone`:
 * `2026-11-20T16:04:05.123000+01:00` (no fraction when it is zero).
 */
export function sodarIsoFormat(date: Date, timeZone: string): string {
  const offset = Private.offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const ms = local.getUTCMilliseconds();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    (ms ? `.${pad(ms * 1000, 6)}` : '') +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

class SodarPortal implements IPortalModule {
  readonly name = 'sodar';
  readonly sessionCookies = [SODAR_SESSION_COOKIE] as const;

  constructor(deps: IPortalDependencies, options: ISodarOptions) {
    this._deps = deps;
    this._lockout = new SodarLockout({
      failureLimit: options.lockoutFailures,
      cooloffMs: options.lockoutMs
    });
    this._timeZone = options.timeZone ?? DEFAULT_SODAR_TIME_ZONE;
    // Fail at start-up, not at the first token, on an unknown zone.
    Private.offsetMinutes(new Date(), this._timeZone);
    this._jupyter = options.jupyter ?? false;
  }

  async handle(context: IRequestContext): Promise<boolean> {
    const { method, url, res } = context;
    const path = url.pathname;
    if (path === '/sodar') {
      redirect(res, 302, SODAR_BASE);
      return true;
    }
    if (!path.startsWith(SODAR_BASE)) {
      return false;
    }
    const api = this._apiRoutes[path];
    if (api) {
      const route = api[method];
      if (!route) {
        context.req.resume();
        const allow = [...Object.keys(api), 'OPTIONS'].join(', ');
        sendJson(
          res,
          405,
          { detail: `Method "${method}" not allowed.` },
          { Allow: allow }
        );
        return true;
      }
      if (await this._fault(context, path, route.media)) {
        return true;
      }
      await route.run(context);
      return true;
    }
    const deleteMatch = /^\/sodar\/tokens\/delete\/([0-9]+)$/.exec(path);
    const page = deleteMatch
      ? method === 'POST'
        ? (c: IRequestContext) =>
            this._deleteTokenPage(c, Number(deleteMatch[1]))
        : undefined
      : this._pageRoutes[`${method} ${path}`];
    if (!page) {
      return false;
    }
    if (await this._fault(context, path, 'text/html')) {
      return true;
    }
    await page(context);
    return true;
  }

  signedInUser(req: IncomingMessage): IDemoUser | undefined {
    const session = this._session(req);
    return session ? this._deps.users.byId(session.userId) : undefined;
  }

  reset(): void {
    this._tokens.clear();
    this._lockout.clear();
  }

  async testHook(action: string, context: IRequestContext): Promise<boolean> {
    if (action === 'expire-token') {
      // Makes all of a user's tokens expire now, so clients meet an expired token at once.
      await expireUserTokens(context, this._deps.users, id =>
        this._tokens.expire(id)
      );
      return true;
    }
    return false;
  }

  // ---- REST: POST /sodar/tokens/api/login -----------------------------------------

  private async _apiLogin({ req, res }: IRequestContext): Promise<void> {
    // DRF's order: content negotiation and version, then authentication, then the view.
    const negotiated = Private.negotiate(
      req.headers.accept,
      TOKENS_MEDIA_TYPE,
      ['1.0'],
      '1.0'
    );
    if (!negotiated.ok) {
      req.resume();
      Private.sendDrf(res, 406, negotiated.detail, negotiated.contentType);
      return;
    }
    const type = negotiated.contentType;
    const basic = Private.basicCredentials(req);
    if (basic.kind !== 'ok') {
      req.resume();
      const detail =
        basic.kind === 'none'
          ? SodarMessages.notProvided
          : basic.kind === 'empty'
            ? SodarMessages.basicNoCredentials
            : SodarMessages.basicBadEncoding;
      Private.sendDrf(res, 401, detail, type, true);
      return;
    }
    const user = this._authenticate(basic.username, basic.password);
    if (user === 'locked') {
      req.resume();
      Private.sendDrf(res, 403, SodarMessages.locked, type);
      return;
    }
    if (!user) {
      req.resume();
      Private.sendDrf(res, 401, SodarMessages.badCredentials, type, true);
      return;
    }

    const data = await Private.requestData(req);
    if (data.kind === 'server-error') {
      Private.serverError(res, 500);
      return;
    }
    if (data.kind !== 'ok') {
      const status = data.kind === 'parse-error' ? 400 : 415;
      Private.sendDrf(res, status, data.detail, type);
      return;
    }
    const now = Date.now();
    // The view deletes the tokens first, but SODAR runs every request in a transaction
    // (ATOMIC_REQUESTS), so a refused request leaves them in place: check first.
    const hours = Private.pythonInt(data.values.expiry ?? 0);
    if (
      hours === null ||
      now + hours * 3600000 > Private.MAX_DATETIME ||
      Math.abs(hours) > Private.MAX_TIMEDELTA_HOURS
    ) {
      // int() raised, or timedelta / datetime overflowed: Django's plain 500.
      Private.serverError(res, 500);
      return;
    }
    const label = data.values.sodar_label ?? '';
    if (typeof label !== 'string') {
      Private.serverError(res, 500);
      return;
    }
    const length = [...label].length;
    if (length > TOKEN_LABEL_MAX_LENGTH) {
      Private.sendTyped(res, 400, labelTooLong(length), type);
      return;
    }
    const created = this._tokens.replaceAll(user.id, {
      expiryHours: hours,
      label
    });
    const body = {
      delete_count: created.deleteCount,
      expiry: created.info.expiry
        ? sodarIsoFormat(created.info.expiry, this._timeZone)
        : null,
      sodar_label: created.info.label,
      token: created.token,
      user_uuid: Private.userUuid(user)
    };
    Private.sendTyped(res, 201, body, type);
  }

  // ---- REST: GET /sodar/project/api/list (token only) ------------------------------

  private async _projectList({ req, res }: IRequestContext): Promise<void> {
    const negotiated = Private.negotiate(
      req.headers.accept,
      PROJECTROLES_MEDIA_TYPE,
      ['1.0', '1.1', '2.0'],
      '2.0'
    );
    if (!negotiated.ok) {
      Private.sendDrf(res, 406, negotiated.detail, negotiated.contentType);
      return;
    }
    const type = negotiated.contentType;
    // knox: `Authorization: Token <key>`, the keyword compared without case.
    const parts = (req.headers.authorization ?? '').trim().split(/\s+/);
    if (!parts[0] || parts[0].toLowerCase() !== 'token') {
      Private.sendDrf(res, 401, SodarMessages.notProvided, type, true);
      return;
    }
    if (parts.length === 1) {
      Private.sendDrf(res, 401, SodarMessages.tokenNoCredentials, type, true);
      return;
    }
    if (parts.length > 2) {
      Private.sendDrf(res, 401, SodarMessages.tokenSpaces, type, true);
      return;
    }
    const check = this._tokens.check(parts[1]);
    if (!check.ok || !this._deps.users.byId(check.userId)) {
      Private.sendDrf(res, 401, SodarMessages.invalidToken, type, true);
      return;
    }
    Private.sendTyped(res, 200, Private.PROJECTS, type);
  }

  // ---- Pages ---------------------------------------------------------------------------

  private async _home({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 302, `${SODAR_BASE}login`);
      return;
    }
    sendHtml(res, 200, sodarHomePage({ user, jupyter: this._jupyter }));
  }

  private async _loginPage({ req, res, url }: IRequestContext): Promise<void> {
    const next = url.searchParams.get('next') ?? '';
    if (next && this.signedInUser(req)) {
      redirect(res, 302, safeNext(next, SODAR_BASE));
      return;
    }
    sendHtml(res, 200, sodarSignInPage({ next }));
  }

  private async _login({ req, res }: IRequestContext): Promise<void> {
    const fields = await readFields(req);
    const username = fields.username ?? '';
    const user = this._authenticate(username, fields.password ?? '');
    if (!user || user === 'locked') {
      sendHtml(
        res,
        user === 'locked' ? 403 : 401,
        sodarSignInPage({
          error: user === 'locked' ? SodarMessages.locked : SODAR_SIGN_IN_ERROR,
          username,
          next: fields.next
        })
      );
      return;
    }
    // A new session on every sign-in: an old session id must not survive it.
    this._sessions.close(parseCookies(req)[SODAR_SESSION_COOKIE]);
    const session = this._sessions.open(user.id);
    addCookies(res, [
      `${serializeCookie(SODAR_SESSION_COOKIE, session.id, {
        httpOnly: true,
        path: SODAR_BASE
      })}; SameSite=Lax`
    ]);
    redirect(res, 303, safeNext(fields.next, SODAR_BASE));
  }

  private async _logout({ req, res }: IRequestContext): Promise<void> {
    req.resume();
    this._sessions.close(parseCookies(req)[SODAR_SESSION_COOKIE]);
    addCookies(res, [
      `${serializeCookie(SODAR_SESSION_COOKIE, '', {
        httpOnly: true,
        path: SODAR_BASE,
        maxAge: 0
      })}; SameSite=Lax`
    ]);
    redirect(res, 303, `${SODAR_BASE}login`);
  }

  private async _tokenList({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 302, Private.loginFor(`${SODAR_BASE}tokens/list`));
      return;
    }
    sendHtml(
      res,
      200,
      sodarTokenListPage({ user, tokens: this._tokens.list(user.id) })
    );
  }

  private async _createTokenPage({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      req.resume();
      redirect(res, 303, Private.loginFor(`${SODAR_BASE}tokens/list`));
      return;
    }
    const fields = await readFields(req);
    const label = fields.sodar_label ?? '';
    const ttlText = (fields.ttl ?? '0').trim();
    const ttl = /^[0-9]+$/.test(ttlText) ? Number(ttlText) : NaN;
    const error =
      [...label].length > TOKEN_LABEL_MAX_LENGTH
        ? `The label may have at most ${TOKEN_LABEL_MAX_LENGTH} characters.`
        : !Number.isSafeInteger(ttl) || ttl > Private.MAX_TIMEDELTA_HOURS
          ? 'The expiry must be a whole number of hours, 0 or more.'
          : undefined;
    if (error) {
      sendHtml(
        res,
        400,
        sodarTokenListPage({ user, tokens: this._tokens.list(user.id), error })
      );
      return;
    }
    // The web UI adds a token and keeps the others.
    const created = this._tokens.create(user.id, { expiryHours: ttl, label });
    sendHtml(
      res,
      200,
      sodarTokenListPage({
        user,
        tokens: this._tokens.list(user.id),
        newToken: created.token
      })
    );
  }

  private async _deleteTokenPage(
    { req, res }: IRequestContext,
    id: number
  ): Promise<void> {
    req.resume();
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 303, Private.loginFor(`${SODAR_BASE}tokens/list`));
      return;
    }
    const deleted = this._tokens.delete(user.id, id);
    sendHtml(
      res,
      deleted ? 200 : 404,
      sodarTokenListPage({
        user,
        tokens: this._tokens.list(user.id),
        message: deleted ? 'Token deleted.' : undefined,
        error: deleted ? undefined : 'No such token.'
      })
    );
  }

  // ---- Helpers -----------------------------------------------------------------------

  /**
   * Checks a password with the lockout in front of it, as axes does: a locked name is
   * refused before its password is looked at.
   */
  private _authenticate(
    username: string,
    password: string
  ): IDemoUser | 'locked' | null {
    if (this._lockout.isLocked(username)) {
      return 'locked';
    }
    const user = this._deps.users.verify(username, password);
    if (!user) {
      return this._lockout.fail(username) ? 'locked' : null;
    }
    this._lockout.succeed(username);
    return user;
  }

  private _session(req: IncomingMessage): ISession | undefined {
    return this._sessions.get(parseCookies(req)[SODAR_SESSION_COOKIE]);
  }

  /** Applies an armed fault; resolves true when it answered in the route's place. */
  private async _fault(
    context: IRequestContext,
    path: string,
    media: string
  ): Promise<boolean> {
    const fault = this._deps.faults.take(context.method, path);
    if (!fault) {
      return false;
    }
    return applyFault(context, fault, Private.faultReplies(media));
  }

  private _deps: IPortalDependencies;
  private _tokens = new SodarTokenStore();
  private _lockout: SodarLockout;
  private _sessions = new SessionStore();
  private _timeZone: string;
  private _jupyter: boolean;

  private _apiRoutes: Record<
    string,
    Record<string, { media: string; run: Route }>
  > = {
    '/sodar/tokens/api/login': {
      POST: { media: TOKENS_MEDIA_TYPE, run: c => this._apiLogin(c) }
    },
    '/sodar/project/api/list': {
      GET: { media: PROJECTROLES_MEDIA_TYPE, run: c => this._projectList(c) }
    }
  };

  private _pageRoutes: Record<string, Route> = {
    'GET /sodar/': c => this._home(c),
    'GET /sodar/login': c => this._loginPage(c),
    'POST /sodar/login': c => this._login(c),
    'POST /sodar/logout': c => this._logout(c),
    'GET /sodar/tokens/list': c => this._tokenList(c),
    'POST /sodar/tokens/create': c => this._createTokenPage(c)
  };
}

namespace Private {
  /** `datetime.max` (9999-12-31 23:59:59.999999 UTC) in ms. */
  export const MAX_DATETIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

  /** `timedelta.max` in hours (999 999 999 days). */
  export const MAX_TIMEDELTA_HOURS = 999999999 * 24;

  /** The sign-in page that comes back to `next`. */
  export function loginFor(next: string): string {
    return `${SODAR_BASE}login?next=${encodeURIComponent(next)}`;
  }

  /** A JSON body with the negotiated content type. */
  export function sendTyped(
    res: ServerResponse,
    status: number,
    body: unknown,
    contentType: string,
    headers: Record<string, string> = {}
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      Vary: 'Accept'
    });
    res.end(text);
  }

  /** DRF's error body `{"detail": …}`; with the challenge for 401s. */
  export function sendDrf(
    res: ServerResponse,
    status: number,
    detail: string,
    contentType: string,
    challenge = false
  ): void {
    sendTyped(
      res,
      status,
      { detail },
      contentType,
      challenge ? { 'WWW-Authenticate': SODAR_CHALLENGE } : {}
    );
  }

  /** What Django (5xx from the app) or the reverse proxy (502–504) sends: HTML. */
  export function serverError(
    res: ServerResponse,
    status: number,
    message?: string
  ): void {
    const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
    const html =
      status >= 502 && status <= 504
        ? `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${message ?? title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
        : `<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (${status})</title>\n</head>\n<body>\n  <h1>${message ?? `Server Error (${status})`}</h1><p></p>\n</body>\n</html>\n`;
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html)
    });
    res.end(html);
  }

  /** The outcome of DRF's content negotiation plus `AcceptHeaderVersioning`. */
  export type Negotiated =
    | { ok: true; contentType: string; version: string }
    | { ok: false; detail: string; contentType: string };

  /**
   * DRF's content negotiation against one renderer (`media`), then the version from the
   * accepted media type's `version` parameter (`defaultVersion` when absent).
   */
  export function negotiate(
    header: string | undefined,
    media: string,
    allowed: readonly string[],
    defaultVersion: string
  ): Negotiated {
    const accepts = (header ?? '').trim() ? (header as string) : '*/*';
    const [type, subtype] = media.split('/');
    const ranges = accepts
      .split(',')
      .map(part => {
        const [range, ...params] = part.split(';').map(s => s.trim());
        const [main = '', sub = ''] = range.toLowerCase().split('/');
        const values: Record<string, string> = {};
        for (const param of params) {
          const index = param.indexOf('=');
          if (index > 0) {
            values[param.slice(0, index).trim().toLowerCase()] = param
              .slice(index + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1');
          }
        }
        const precedence = main === '*' ? 0 : sub === '*' ? 1 : 2;
        return { main, sub, values, precedence };
      })
      .filter(range => range.main && range.sub)
      // Most specific first, as DRF's order_by_precedence.
      .sort((a, b) => b.precedence - a.precedence);
    const match = ranges.find(
      range =>
        (range.main === '*' || range.main === type) &&
        (range.sub === '*' || range.sub === subtype)
    );
    if (!match) {
      return {
        ok: false,
        detail: SodarMessages.notAcceptable,
        contentType: media
      };
    }
    const params = Object.entries(match.values)
      .filter(([key]) => key !== 'q')
      .map(([key, value]) => `; ${key}=${value}`)
      .join('');
    const contentType = `${media}${params}`;
    const version = match.values.version ?? defaultVersion;
    if (!allowed.includes(version)) {
      return { ok: false, detail: SodarMessages.invalidVersion, contentType };
    }
    return { ok: true, contentType, version };
  }

  /** DRF's BasicAuthentication reading of the `Authorization` header. */
  export function basicCredentials(
    req: IncomingMessage
  ):
    | { kind: 'ok'; username: string; password: string }
    | { kind: 'none' | 'empty' | 'bad' } {
    const parts = (req.headers.authorization ?? '').trim().split(/\s+/);
    if (!parts[0] || parts[0].toLowerCase() !== 'basic') {
      return { kind: 'none' };
    }
    if (parts.length === 1) {
      return { kind: 'empty' };
    }
    if (parts.length > 2 || !/^[A-Za-z0-9+/]*={0,2}$/.test(parts[1])) {
      return { kind: 'bad' };
    }
    const credentials = decodeBasic(parts[1]);
    return credentials ? { kind: 'ok', ...credentials } : { kind: 'bad' };
  }

  /** `request.data` as DRF's JSON and form parsers give it. */
  export async function requestData(
    req: IncomingMessage
  ): Promise<
    | { kind: 'ok'; values: Record<string, unknown> }
    | { kind: 'parse-error' | 'unsupported'; detail: string }
    | { kind: 'server-error' }
  > {
    const text = await readBody(req);
    if (!text) {
      return { kind: 'ok', values: {} };
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type.toLowerCase() === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return {
          kind: 'parse-error',
          detail: `JSON parse error - ${(error as Error).message}`
        };
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        // `request.data.get` on a list or a number raises: a plain 500.
        return { kind: 'server-error' };
      }
      return { kind: 'ok', values: parsed as Record<string, unknown> };
    }
    if (type.toLowerCase() === 'application/x-www-form-urlencoded') {
      return {
        kind: 'ok',
        values: Object.fromEntries(new URLSearchParams(text))
      };
    }
    return {
      kind: 'unsupported',
      detail: `Unsupported media type "${type}" in request.`
    };
  }

  /**
   * `int(value) if value else None` in Python: 0 for falsy values, the truncated number
   * for numbers and booleans, the integer of a decimal string; null where `int()` raises.
   */
  export function pythonInt(value: unknown): number | null {
    if (value === null || value === false || value === '' || value === 0) {
      return 0;
    }
    if (value === true) {
      return 1;
    }
    if (typeof value === 'number') {
      return Number.isFinite(value) ? Math.trunc(value) : null;
    }
    if (typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value)) {
      return Number(value.trim());
    }
    if (Array.isArray(value) && value.length === 0) {
      return 0;
    }
    return null;
  }

  /** A stable UUID for a demo account (SODAR's `sodar_uuid`). */
  export function userUuid(user: IDemoUser): string {
    const hex = createHash('sha256')
      .update(`sodar-demo-user:${user.id}`)
      .digest('hex');
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /** The UTC offset of `timeZone` at `date`, in minutes. */
  export function offsetMinutes(date: Date, timeZone: string): number {
    const name =
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        timeZoneName: 'longOffset'
      })
        .formatToParts(date)
        .find(part => part.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /^GMT(?:([+-])(\d{2}):?(\d{2})?)?$/.exec(name);
    if (!match) {
      throw new Error(`Cannot read the UTC offset of ${timeZone}: ${name}`);
    }
    if (!match[1]) {
      return 0;
    }
    const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
    return match[1] === '-' ? -minutes : minutes;
  }

  /** How SODAR answers a fault on a route that answers `media`. */
  export function faultReplies(media: string): IFaultReplies {
    return {
      malformed: ({ req, res, method, url }, status) => {
        req.resume();
        const success = method === 'POST' && url.pathname.endsWith('/login');
        sendTruncated(
          res,
          status ?? (success ? 201 : 200),
          '{"delete_count": 0, "expiry": null, "tok',
          media === 'text/html' ? 'application/json' : media
        );
      },
      error: ({ res }, status, message) => {
        if (status >= 500 || media === 'text/html') {
          serverError(res, status, message);
        } else {
          sendDrf(
            res,
            status,
            message ?? DRF_DETAILS[status] ?? 'Error',
            media,
            status === 401
          );
        }
      }
    };
  }

  /** DRF's default `detail` for statuses a fault may ask for. */
  const DRF_DETAILS: Record<number, string> = {
    400: 'Malformed request.',
    401: SodarMessages.notProvided,
    403: 'You do not have permission to perform this action.',
    404: SodarMessages.notFound,
    405: 'Method not allowed.',
    406: SodarMessages.notAcceptable,
    415: 'Unsupported media type in request.',
    429: 'Request was throttled.'
  };

  /** What `/sodar/project/api/list` returns: one category with one project. */
  export const PROJECTS = [
    {
      title: 'Demo Category',
      type: 'CATEGORY',
      parent: null,
      description: 'A category of demonstration projects',
      readme: '',
      public_access: null,
      archive: false,
      full_title: 'Demo Category',
      children: ['6f3c2b1e-7d4a-4c1b-9e2f-1a2b3c4d5e6f'],
      sodar_uuid: '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a'
    },
    {
      title: 'Demo Exomes',
      type: 'PROJECT',
      parent: '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a',
      description: 'A small demonstration project',
      readme: '',
      public_access: null,
      archive: false,
      full_title: 'Demo Category / Demo Exomes',
      children: [],
      sodar_uuid: '6f3c2b1e-7d4a-4c1b-9e2f-1a2b3c4d5e6f'
    }
  ];
}
