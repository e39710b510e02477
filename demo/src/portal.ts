/**
 * What every portal module of the demo server provides.
 *
 * The server owns the HTTP listener, logging, test hooks and the JupyterLab proxy; a
 * module owns one portal's routes and state (XDMoD at `/`, later SODAR under `/sodar/`,
 * Axivion under `/axivion/`).
 */
import type { IncomingMessage } from 'node:http';

import type { FaultRegistry } from './faults';
import { IRequestContext, readJson, sendJson } from './http';
import type { ILogger } from './log';
import type { IDemoUser, UserDirectory } from './users';

/** What the server shares with its modules. */
export interface IPortalDependencies {
  /** The accounts. */
  readonly users: UserDirectory;
  /** Armed faults (always present; only reachable over HTTP with test hooks). */
  readonly faults: FaultRegistry;
  /** Where log lines go. */
  readonly logger: ILogger;
  /** Where a browser lands after signing in when no `next` was given. */
  readonly landingPath: string;
}

/** One portal served by the demo server. */
export interface IPortalModule {
  /** A short name, e.g. `xdmod`; also names the module's test hooks (`/__demo__/<name>/…`). */
  readonly name: string;

  /**
   * Cookies that carry this portal's session. The JupyterLab proxy strips them, so
   * JupyterLab never sees the portal's credentials.
   */
  readonly sessionCookies: readonly string[];

  /** Handles a request if it belongs to this portal; resolves true when it answered. */
  handle(context: IRequestContext): Promise<boolean>;

  /** The account signed in to this portal by the request's cookies, if any. */
  signedInUser(req: IncomingMessage): IDemoUser | undefined;

  /** Forgets tokens (and other per-user state) for a test; sessions stay open. */
  reset(): void;

  /**
   * Handles `POST /__demo__/<name>/<action>` (test hooks only); resolves true when it answered.
   */
  testHook?(action: string, context: IRequestContext): Promise<boolean>;
}

/**
 * The `expire-token` test hook of a portal whose tokens belong to user ids: reads
 * `{"username": …}`, lets `expire` make that user's tokens expire now, and answers what it
 * gave back (404 for an unknown user or when nothing expired).
 */
export async function expireUserTokens(
  context: IRequestContext,
  users: UserDirectory,
  expire: (userId: number) => boolean | number
): Promise<void> {
  const body = await readJson(context.req);
  const user = users.byName(String(body.username ?? ''));
  if (!user) {
    sendJson(context.res, 404, { message: 'No such user.' });
    return;
  }
  const expired = expire(user.id);
  sendJson(context.res, expired ? 200 : 404, { expired });
}
