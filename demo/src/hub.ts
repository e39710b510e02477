/**
 * The demo's hub: JupyterLab on an origin of its own, as a JupyterHub serves it at another
 * host name than the portals'. People sign in to the hub (not to a portal) with the demo
 * accounts; the hub's gate in front of `/jupyter/` then lets them through.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';

import { htmlPage, ISignInState, signInForm } from './html';
import {
  addCookies,
  IRequestContext,
  parseCookies,
  readFields,
  redirect,
  safeNext,
  sendHtml,
  serializeCookie
} from './http';
import type { IDemoUser, UserDirectory } from './users';

/** The hub's session cookie (JupyterHub's is `jupyterhub-session-id`). */
export const HUB_COOKIE = 'demo-hub-session';

/** Where a person lands after signing in to the hub. */
const LANDING = '/jupyter/lab';

/** The hub's sign-in pages and sessions; the server owns the gate and the proxy. */
export class DemoHub {
  constructor(users: UserDirectory) {
    this._users = users;
  }

  /** The cookies that carry a hub session (the JupyterLab proxy strips them). */
  readonly sessionCookies: readonly string[] = [HUB_COOKIE];

  /** The account signed in to the hub by the request's cookies. */
  signedInUser(req: IncomingMessage): IDemoUser | undefined {
    const id = parseCookies(req)[HUB_COOKIE];
    return id ? this._sessions.get(id) : undefined;
  }

  /** `/`, `/hub/login` and `/hub/logout`; resolves false for any other path. */
  async handle(context: IRequestContext): Promise<boolean> {
    const { req, res, url, method } = context;
    const path = url.pathname;
    if (path === '/' && method === 'GET') {
      redirect(res, 302, this.signedInUser(req) ? LANDING : '/hub/login');
      return true;
    }
    if (path === '/hub/login' && method === 'GET') {
      sendHtml(
        res,
        200,
        Private.signInPage({ next: url.searchParams.get('next') ?? undefined })
      );
      return true;
    }
    if (path === '/hub/login' && method === 'POST') {
      const fields = await readFields(req);
      const user = this._users.verify(
        fields.username ?? '',
        fields.password ?? ''
      );
      if (!user) {
        sendHtml(
          res,
          401,
          Private.signInPage({
            error: 'Invalid username or password.',
            username: fields.username,
            next: fields.next
          })
        );
        return true;
      }
      const id = randomBytes(24).toString('hex');
      this._sessions.set(id, user);
      addCookies(res, [
        `${serializeCookie(HUB_COOKIE, id, { httpOnly: true })}; SameSite=Lax`
      ]);
      redirect(res, 303, safeNext(fields.next, LANDING));
      return true;
    }
    if (path === '/hub/logout' && method === 'POST') {
      const id = parseCookies(req)[HUB_COOKIE];
      if (id) {
        this._sessions.delete(id);
      }
      addCookies(res, [serializeCookie(HUB_COOKIE, '', { maxAge: 0 })]);
      redirect(res, 303, '/hub/login');
      return true;
    }
    return false;
  }

  private _users: UserDirectory;
  private _sessions = new Map<string, IDemoUser>();
}

namespace Private {
  export function signInPage(state: ISignInState): string {
    return htmlPage({
      title: 'Sign in to the hub (demo)',
      style: [
        'body { font-family: system-ui, sans-serif; margin: 2rem; }',
        '.error { color: #b00020; }'
      ],
      body: `<h1>Sign in to the hub (demo)</h1>
<p>A JupyterHub on its own origin: the portals are on other origins.</p>
${signInForm({
  ...state,
  action: '/hub/login',
  errorId: 'login-error',
  button: 'Sign in'
})}`
    });
  }
}
