/**
 * What every portal module of the demo server provides, and the skeleton they share.
 *
 * The server owns the HTTP listener, logging, test hooks and the JupyterLab proxy; a
 * module owns one portal's routes and state (XDMoD at `/`, SODAR under `/sodar/`,
 * Axivion under `/axivion/`). A module knows nothing of the others: the server composes them.
 *
 * {@link PortalModule} is the skeleton: the redirect from the bare base path, the prefix check,
 * the route lookup, 404/405 in the portal's own error body, armed faults and the module's test
 * hooks. A portal declares its base path, its routes, its error body and its fault answers.
 */
import type { IncomingMessage } from 'node:http';

import type { IDemoClock } from './clock';
import { applyFault, type FaultRegistry } from './faults';
import {
  IRequestContext,
  readJson,
  redirect,
  type Route,
  sendJson
} from './http';
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
  /** The time and the bytes of tokens (see clock.ts). */
  readonly clock: IDemoClock;
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

/** A request as a route sees it. */
export interface IRouteContext extends IRequestContext {
  /** The path in the portal's canonical spelling: what routes and faults are keyed by. */
  readonly path: string;
  /** What the groups of a RegExp route matched, in order; empty for a plain path. */
  readonly params: readonly string[];
}

/** One route of a portal: a method and a path pattern, and what answers them. */
export interface IPortalRoute {
  /** The method in upper case. */
  readonly method: string;
  /** The canonical path exactly, or a pattern over it whose groups become `params`. */
  readonly path: string | RegExp;
  /** Answers the request. */
  readonly run: (context: IRouteContext) => Promise<void>;
}

/**
 * Why a portal answers with its error body instead of running a route:
 * - `not-found`: no route has this path (404);
 * - `method-not-allowed`: routes have this path, for the `allowed` methods only (405);
 * - `fault`: an armed fault stands in for `route`; `message` is the fault's own, if it gives one.
 */
export type ErrorCause<R extends IPortalRoute = IPortalRoute> =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'fault'; readonly route: R; readonly message?: string };

/**
 * The skeleton of a portal module: a subclass declares where it lives, its routes and pages,
 * how it answers an error and a malformed fault, and its test hooks.
 *
 * A request below the base path is looked up in `routes`, then `pages`. When none takes it:
 * a path below `apiPrefix` gets the portal's 404, a path one of `routes` has gets its 405, and
 * anything else is left to the server (its own 404), as a page's wrong method is. A route
 * found, an armed fault for it answers first (or makes it wait), then the route runs.
 */
export abstract class PortalModule<
  R extends IPortalRoute = IPortalRoute
> implements IPortalModule {
  /** Creates the module; its canonical spelling of paths applies to faults too. */
  constructor(deps: IPortalDependencies) {
    this.deps = deps;
    deps.faults.addNormalizer(path => this.canonicalPath(path));
  }

  /** A short name, e.g. `xdmod`; also names the module's test hooks (`/__demo__/<name>/…`). */
  abstract readonly name: string;

  /** Cookies that carry this portal's session (the JupyterLab proxy strips them). */
  readonly sessionCookies: readonly string[] = [];

  /** Handles a request if it belongs to this portal; resolves true when it answered. */
  async handle(context: IRequestContext): Promise<boolean> {
    const { method, url } = context;
    const base = this.basePath;
    if (base !== '/' && url.pathname === base.replace(/\/+$/, '')) {
      redirect(context.res, 302, base);
      return true;
    }
    if (!url.pathname.startsWith(base)) {
      return false;
    }
    const path = this.canonicalPath(url.pathname);
    const request: IRouteContext = { ...context, path, params: [] };
    const api =
      this.apiPrefix !== undefined && Private.within(path, this.apiPrefix);
    if (api && this.beforeApi(request)) {
      return true;
    }
    const found =
      Private.match(this.routes, method, path) ??
      Private.match(this.pages, method, path);
    if (!found) {
      return this._unrouted(request, api);
    }
    const routed: IRouteContext = { ...request, params: found.params };
    if (await this._fault(routed, found.route)) {
      return true;
    }
    await found.route.run(routed);
    return true;
  }

  /** The account signed in to this portal by the request's cookies; none by default. */
  signedInUser(req: IncomingMessage): IDemoUser | undefined {
    return undefined;
  }

  /** Forgets tokens (and other per-user state) for a test; sessions stay open. */
  abstract reset(): void;

  /** Runs the test hook named `action`; resolves false when the module has none by that name. */
  async testHook(action: string, context: IRequestContext): Promise<boolean> {
    const hooks = this.testHooks;
    if (!Object.hasOwn(hooks, action)) {
      return false;
    }
    await hooks[action](context);
    return true;
  }

  /** Where the portal lives, with a trailing slash (`/`, `/sodar/`); the bare path redirects. */
  protected abstract readonly basePath: string;

  /**
   * Where the portal's API lives (`/rest`): below it every request gets the portal's own
   * answer, an unknown path the portal's 404.
   */
  protected readonly apiPrefix?: string;

  /** The routes: a wrong method gets the portal's 405. */
  protected abstract readonly routes: readonly R[];

  /** The people's pages: an unknown page or a wrong method is left to the server. */
  protected readonly pages: readonly R[] = [];

  /** `POST /__demo__/<name>/<action>` by action (test hooks only). */
  protected readonly testHooks: Readonly<Record<string, Route>> = {};

  /** The module's share of the server. */
  protected readonly deps: IPortalDependencies;

  /**
   * The one spelling of a path that routes and faults see (XDMoD drops its `/v1`), so one
   * fault covers every spelling of a route. The path itself by default.
   */
  protected canonicalPath(path: string): string {
    return path;
  }

  /**
   * Runs first for every request below `apiPrefix`, before any route or fault (XDMoD's CORS
   * headers and preflight); true when it answered. Answers nothing by default.
   */
  protected beforeApi(context: IRouteContext): boolean {
    return false;
  }

  /** Answers `status` with the portal's error body. */
  protected abstract error(
    context: IRouteContext,
    status: number,
    cause: ErrorCause<R>
  ): void;

  /** Answers a malformed fault on `route`: truncated JSON, with the fault's status if it gives one. */
  protected abstract malformed(
    context: IRouteContext,
    status: number | undefined,
    route: R
  ): void;

  /**
   * A request no route takes: the portal's 405 for a path of its routes, its 404 below its
   * API, else false (the server answers).
   */
  private _unrouted(context: IRouteContext, api: boolean): boolean {
    const allowed = Private.methods(this.routes, context.path);
    if (!api && !allowed.length) {
      return false;
    }
    // No route reads the body: drain it, so the client sees the answer rather than a reset.
    context.req.resume();
    if (allowed.length) {
      this.error(context, 405, { kind: 'method-not-allowed', allowed });
    } else {
      this.error(context, 404, { kind: 'not-found' });
    }
    return true;
  }

  /** Applies an armed fault; resolves true when it answered in the route's place. */
  private _fault(context: IRouteContext, route: R): Promise<boolean> {
    const fault = this.deps.faults.take(context.method, context.path);
    if (!fault) {
      return Promise.resolve(false);
    }
    return applyFault(context, fault, {
      malformed: (_, status) => {
        context.req.resume();
        this.malformed(context, status, route);
      },
      error: (_, status, message) =>
        this.error(context, status, { kind: 'fault', route, message })
    });
  }
}

/**
 * The `expire-token` test hook of a portal whose tokens belong to user ids: reads
 * `{"username": …}`, lets `expire` make that user's tokens expire now, and answers what it
 * gave back (404 for an unknown user or when nothing expired).
 */
export function expireUserTokens(
  users: UserDirectory,
  expire: (userId: number) => boolean | number
): Route {
  return async context => {
    const body = await readJson(context.req);
    const user = users.byName(String(body.username ?? ''));
    if (!user) {
      sendJson(context.res, 404, { message: 'No such user.' });
      return;
    }
    const expired = expire(user.id);
    sendJson(context.res, expired ? 200 : 404, { expired });
  };
}

namespace Private {
  /** Whether `path` is `prefix` or below it (`/rest` holds `/rest/users`, not `/restore`). */
  export function within(path: string, prefix: string): boolean {
    const root = prefix.replace(/\/+$/, '');
    return path === root || path.startsWith(`${root}/`);
  }

  /** The route for the method and path, with what its pattern's groups matched. */
  export function match<R extends IPortalRoute>(
    routes: readonly R[],
    method: string,
    path: string
  ): { route: R; params: string[] } | undefined {
    for (const route of routes) {
      if (route.method !== method) {
        continue;
      }
      const params = groups(route, path);
      if (params) {
        return { route, params };
      }
    }
    return undefined;
  }

  /** The methods the routes answer for `path`, in the order declared. */
  export function methods(
    routes: readonly IPortalRoute[],
    path: string
  ): string[] {
    return routes
      .filter(route => groups(route, path))
      .map(route => route.method);
  }

  /** What a route's pattern's groups match in `path`; undefined when it does not match. */
  function groups(route: IPortalRoute, path: string): string[] | undefined {
    if (typeof route.path === 'string') {
      return route.path === path ? [] : undefined;
    }
    const found = route.path.exec(path);
    return found ? found.slice(1) : undefined;
  }
}
