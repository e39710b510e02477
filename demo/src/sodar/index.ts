/**
 * The SODAR portal (SODAR Core's tokens app, SODAR ≥ 1.3) under `/sodar/`: the REST token
 * login, one data route that takes a token, and the people's pages. Follows
 * /work/shared/PORTALS.md (SODAR section) and SODAR Core's `tokens/views_api.py` with
 * Django REST framework's content negotiation, versioning and authentication order.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { sendTruncated } from '../faults';
import {
  addCookies,
  IRequestContext,
  parseCookies,
  readFields,
  redirect,
  safeNext,
  sendHtml,
  sendJson,
  serializeCookie
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
import {
  basicCredentials,
  DRF_DETAILS,
  MAX_DATETIME,
  MAX_TIMEDELTA_HOURS,
  negotiate,
  offsetMinutes,
  pythonInt,
  requestData,
  sendDrf,
  sendTyped,
  serverError,
  SodarMessages,
  sodarIsoFormat
} from './django';
import { SodarLockout } from './lockout';
import {
  SODAR_BASE,
  sodarHomePage,
  sodarSignInPage,
  sodarTokenListPage
} from './pages';
import { SodarTokenStore, TOKEN_LABEL_MAX_LENGTH } from './tokens';

export { SODAR_CHALLENGE, SodarMessages, sodarIsoFormat } from './django';
export { SODAR_BASE } from './pages';

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

/** The message on the sign-in page after a failed attempt (Django's login form). */
export const SODAR_SIGN_IN_ERROR =
  'Please enter a correct username and password. Note that both fields may be case-sensitive.';

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
}

/** Creates the SODAR portal module. */
export function createSodarPortal(
  deps: IPortalDependencies,
  options: ISodarOptions = {}
): IPortalModule {
  return new SodarPortal(deps, options);
}

/**
 * A SODAR route: DRF's API views answer their vendor media type; Django's HTML pages have none.
 */
interface ISodarRoute extends IPortalRoute {
  /** The media type the view renders, for a fault's answer; none for an HTML page. */
  readonly media?: string;
}

class SodarPortal extends PortalModule<ISodarRoute> {
  readonly name = 'sodar';
  readonly sessionCookies = [SODAR_SESSION_COOKIE] as const;

  constructor(deps: IPortalDependencies, options: ISodarOptions) {
    super(deps);
    this._tokens = new SodarTokenStore({ clock: deps.clock });
    this._lockout = new SodarLockout({
      failureLimit: options.lockoutFailures,
      cooloffMs: options.lockoutMs
    });
    this._timeZone = options.timeZone ?? DEFAULT_SODAR_TIME_ZONE;
    // Fail at start-up, not at the first token, on an unknown zone.
    offsetMinutes(new Date(), this._timeZone);
  }

  signedInUser(req: IncomingMessage): IDemoUser | undefined {
    const session = this._session(req);
    return session ? this.deps.users.byId(session.userId) : undefined;
  }

  reset(): void {
    this._tokens.clear();
    this._lockout.clear();
  }

  protected readonly basePath = SODAR_BASE;

  protected readonly routes: ISodarRoute[] = [
    {
      method: 'POST',
      path: `${SODAR_BASE}tokens/api/login`,
      media: TOKENS_MEDIA_TYPE,
      run: c => this._apiLogin(c)
    },
    {
      method: 'GET',
      path: `${SODAR_BASE}project/api/list`,
      media: PROJECTROLES_MEDIA_TYPE,
      run: c => this._projectList(c)
    }
  ];

  protected readonly pages: ISodarRoute[] = [
    { method: 'GET', path: SODAR_BASE, run: c => this._home(c) },
    { method: 'GET', path: `${SODAR_BASE}login`, run: c => this._loginPage(c) },
    { method: 'POST', path: `${SODAR_BASE}login`, run: c => this._login(c) },
    { method: 'POST', path: `${SODAR_BASE}logout`, run: c => this._logout(c) },
    {
      method: 'GET',
      path: `${SODAR_BASE}tokens/list`,
      run: c => this._tokenList(c)
    },
    {
      method: 'POST',
      path: `${SODAR_BASE}tokens/create`,
      run: c => this._createTokenPage(c)
    },
    {
      method: 'POST',
      path: new RegExp(`^${SODAR_BASE}tokens/delete/([0-9]+)$`),
      run: c => this._deleteTokenPage(c, Number(c.params[0]))
    }
  ];

  protected readonly testHooks = {
    // Makes all of a user's tokens expire now, so clients meet an expired token at once.
    'expire-token': expireUserTokens(this.deps.users, id =>
      this._tokens.expire(id)
    )
  };

  /**
   * A wrong method: DRF's 405 with `Allow`. A fault: Django's HTML error page for 5xx and on
   * the pages, else DRF's `{"detail": …}` in the view's media type.
   */
  protected error(
    { res, method }: IRouteContext,
    status: number,
    cause: ErrorCause<ISodarRoute>
  ): void {
    if (cause.kind === 'method-not-allowed') {
      const allow = [...cause.allowed, 'OPTIONS'].join(', ');
      sendJson(
        res,
        405,
        { detail: `Method "${method}" not allowed.` },
        { Allow: allow }
      );
      return;
    }
    const media = cause.kind === 'fault' ? cause.route.media : undefined;
    const message = cause.kind === 'fault' ? cause.message : undefined;
    if (status >= 500 || media === undefined) {
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

  /** A malformed fault: a token login answer cut short, in the view's media type. */
  protected malformed(
    { res, method, url }: IRouteContext,
    status: number | undefined,
    route: ISodarRoute
  ): void {
    const success = method === 'POST' && url.pathname.endsWith('/login');
    sendTruncated(
      res,
      status ?? (success ? 201 : 200),
      '{"delete_count": 0, "expiry": null, "tok',
      route.media ?? 'application/json'
    );
  }

  // ---- REST: POST /sodar/tokens/api/login -----------------------------------------

  private async _apiLogin({ req, res }: IRequestContext): Promise<void> {
    // DRF's order: content negotiation and version, then authentication, then the view.
    const negotiated = negotiate(
      req.headers.accept,
      TOKENS_MEDIA_TYPE,
      ['1.0'],
      '1.0'
    );
    if (!negotiated.ok) {
      req.resume();
      sendDrf(res, 406, negotiated.detail, negotiated.contentType);
      return;
    }
    const type = negotiated.contentType;
    const basic = basicCredentials(req);
    if (basic.kind !== 'ok') {
      req.resume();
      const detail =
        basic.kind === 'none'
          ? SodarMessages.notProvided
          : basic.kind === 'empty'
            ? SodarMessages.basicNoCredentials
            : SodarMessages.basicBadEncoding;
      sendDrf(res, 401, detail, type, true);
      return;
    }
    const user = this._authenticate(basic.username, basic.password);
    if (user === 'locked') {
      req.resume();
      sendDrf(res, 403, SodarMessages.locked, type);
      return;
    }
    if (!user) {
      req.resume();
      sendDrf(res, 401, SodarMessages.badCredentials, type, true);
      return;
    }

    const data = await requestData(req);
    if (data.kind === 'server-error') {
      serverError(res, 500);
      return;
    }
    if (data.kind !== 'ok') {
      const status = data.kind === 'parse-error' ? 400 : 415;
      sendDrf(res, status, data.detail, type);
      return;
    }
    const now = this.deps.clock.now().getTime();
    // The view deletes the tokens first, but SODAR runs every request in a transaction
    // (ATOMIC_REQUESTS), so a refused request leaves them in place: check first.
    const hours = pythonInt(data.values.expiry ?? 0);
    if (
      hours === null ||
      now + hours * 3600000 > MAX_DATETIME ||
      Math.abs(hours) > MAX_TIMEDELTA_HOURS
    ) {
      // int() raised, or timedelta / datetime overflowed: Django's plain 500.
      serverError(res, 500);
      return;
    }
    const label = data.values.sodar_label ?? '';
    if (typeof label !== 'string') {
      serverError(res, 500);
      return;
    }
    const length = [...label].length;
    if (length > TOKEN_LABEL_MAX_LENGTH) {
      sendTyped(res, 400, labelTooLong(length), type);
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
    sendTyped(res, 201, body, type);
  }

  // ---- REST: GET /sodar/project/api/list (token only) ------------------------------

  private async _projectList({ req, res }: IRequestContext): Promise<void> {
    const negotiated = negotiate(
      req.headers.accept,
      PROJECTROLES_MEDIA_TYPE,
      ['1.0', '1.1', '2.0'],
      '2.0'
    );
    if (!negotiated.ok) {
      sendDrf(res, 406, negotiated.detail, negotiated.contentType);
      return;
    }
    const type = negotiated.contentType;
    // knox: `Authorization: Token <key>`, the keyword compared without case.
    const parts = (req.headers.authorization ?? '').trim().split(/\s+/);
    if (!parts[0] || parts[0].toLowerCase() !== 'token') {
      sendDrf(res, 401, SodarMessages.notProvided, type, true);
      return;
    }
    if (parts.length === 1) {
      sendDrf(res, 401, SodarMessages.tokenNoCredentials, type, true);
      return;
    }
    if (parts.length > 2) {
      sendDrf(res, 401, SodarMessages.tokenSpaces, type, true);
      return;
    }
    const check = this._tokens.check(parts[1]);
    if (!check.ok || !this.deps.users.byId(check.userId)) {
      sendDrf(res, 401, SodarMessages.invalidToken, type, true);
      return;
    }
    sendTyped(res, 200, Private.PROJECTS, type);
  }

  // ---- Pages ---------------------------------------------------------------------------

  private async _home({ req, res }: IRequestContext): Promise<void> {
    const user = this.signedInUser(req);
    if (!user) {
      redirect(res, 302, `${SODAR_BASE}login`);
      return;
    }
    sendHtml(res, 200, sodarHomePage({ user }));
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
        : !Number.isSafeInteger(ttl) || ttl > MAX_TIMEDELTA_HOURS
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
    const user = this.deps.users.verify(username, password);
    if (!user) {
      return this._lockout.fail(username) ? 'locked' : null;
    }
    this._lockout.succeed(username);
    return user;
  }

  private _session(req: IncomingMessage): ISession | undefined {
    return this._sessions.get(parseCookies(req)[SODAR_SESSION_COOKIE]);
  }

  private _tokens: SodarTokenStore;
  private _lockout: SodarLockout;
  private _sessions = new SessionStore();
  private _timeZone: string;
}

namespace Private {
  /** The sign-in page that comes back to `next`. */
  export function loginFor(next: string): string {
    return `${SODAR_BASE}login?next=${encodeURIComponent(next)}`;
  }

  /** A stable UUID for a demo account (SODAR's `sodar_uuid`). */
  export function userUuid(user: IDemoUser): string {
    const hex = createHash('sha256')
      .update(`sodar-demo-user:${user.id}`)
      .digest('hex');
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

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
