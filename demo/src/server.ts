/**
 * The demo server, laid out as real deployments are, each on its own loopback origin:
 * an Open XDMoD portal with JupyterLab under `/jupyter/` behind its sign-in (as XDMoD's
 * hosted JupyterHub serves it), SODAR and the Axivion Dashboard (no CORS headers, as the
 * real ones), and a hub that serves the same JupyterLab on no portal's origin.
 *
 * Portals are modules ({@link IPortalModule}); the server owns the listeners, logging,
 * the test hooks (on XDMoD's origin) and the JupyterLab gates and proxy.
 */
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse
} from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

import { fixedClock, IDemoClock, realClock } from './clock';
import { FaultRegistry, IFault } from './faults';
import {
  IRequestContext,
  readJson,
  redirect,
  sendHtml,
  sendJson,
  sendText,
  wantsHtml
} from './http';
import { IJupyterLab, IJupyterOptions, startJupyterLab } from './jupyter';
import { ILogger, requestLine, silentLogger, stderrLogger } from './log';
import { createAxivionPortal, IAxivionOptions } from './axivion';
import { AXIVION_BASE_PATH as AXIVION_BASE } from './axivion/urls';
import { DemoHub } from './hub';
import type { IPortalModule } from './portal';
import { createSodarPortal, ISodarOptions } from './sodar';
import { SODAR_BASE } from './sodar/pages';
import { IDemoUser, UserDirectory } from './users';
import { createXdmodPortal } from './xdmod';
import { notFoundPage } from './xdmod/pages';

export type { IJupyterOptions } from './jupyter';
export type { IDemoUser } from './users';
export type { IFault } from './faults';

/** The only address the demo portal listens on. */
export const HOST = '127.0.0.1';

/** Where JupyterLab is served. */
export const JUPYTER_BASE_URL = '/jupyter/';

/** Options of {@link startPortal}. */
export interface IPortalOptions {
  /**
   * XDMoD's port on 127.0.0.1; SODAR listens on the next, the Axivion Dashboard on the one
   * after, the hub on the fourth. 0 (the default) picks free ones.
   */
  port?: number;
  /** XDMoD token lifetime: `"6 months"` (default), `"3 hours"`, `"10 seconds"`, or seconds. */
  tokenLifetime?: string | number;
  /** Exact origins XDMoD answers with CORS headers (`[cors] domains`). */
  corsOrigins?: string[];
  /** Axivion Dashboard settings (CSRF token lifetime, default token lifetime). */
  axivion?: IAxivionOptions;
  /** SODAR settings (lockout threshold and duration, time zone). */
  sodar?: ISodarOptions;
  /** Accounts in addition to `demo`/`demo` (id 17) and `alice`/`alice-password` (id 42). */
  users?: IDemoUser[];
  /** Serve `/__demo__/…` (faults, reset). Never on for people. */
  testHooks?: boolean;
  /** Faults armed from the start (needs no test hooks; for in-process tests). */
  faults?: IFault[];
  /** How to start JupyterLab under `/jupyter/`, or false for none (contract tests). */
  jupyter?: IJupyterOptions | false;
  /** Where log lines go: stderr by default; `'silent'` drops them. */
  logger?: ILogger | 'silent';
  /**
   * Stands the portals' clock still at this instant and deals the same token secrets on every
   * run (`DEMO_FIXED_CLOCK`, for `make screenshots`); the real clock and random ones by default.
   */
  fixedClock?: Date;
}

/** A running portal. */
export interface IRunningPortal {
  /**
   * XDMoD's base URL, e.g. `http://127.0.0.1:8800/` (with a trailing slash), which also
   * serves the test hooks and, behind XDMoD's sign-in, JupyterLab at `/jupyter/`.
   */
  readonly url: string;
  /** XDMoD's port. */
  readonly port: number;
  /** SODAR's base URL on its own origin, e.g. `http://127.0.0.1:8801/sodar/`. */
  readonly sodarUrl: string;
  /** The Axivion Dashboard's base URL on its own origin, e.g. `http://127.0.0.1:8802/axivion/`. */
  readonly axivionUrl: string;
  /**
   * The hub's origin, e.g. `http://127.0.0.1:8803/`: JupyterLab at `/jupyter/` behind the
   * hub's own sign-in, on no portal's origin; undefined without JupyterLab.
   */
  readonly hubUrl?: string;
  /**
   * JupyterLab's own loopback port (it answers only with the portal's secret token);
   * undefined without JupyterLab. For tests that check JupyterLab is reachable only
   * through the portal.
   */
  readonly jupyterPort?: number;
  /**
   * The `overrides.json` the demo wrote for JupyterLab (the portals at their absolute
   * addresses, as an administrator would list them); undefined without JupyterLab.
   */
  readonly overridesFile?: string;
  /** Stops the servers and JupyterLab. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the demo portals, each on its own origin, and, unless `jupyter` is false, JupyterLab
 * behind XDMoD and behind the hub. Resolves once all answer. Rejects with
 * `code: 'EADDRINUSE'` when a port is busy.
 */
export async function startPortal(
  options: IPortalOptions = {}
): Promise<IRunningPortal> {
  const portal = new Private.Portal(options);
  try {
    await portal.listen(options.port ?? 0);
    await portal.startJupyter();
  } catch (error) {
    await portal.close();
    throw error;
  }
  const origin = (site: Private.Site) =>
    `http://${HOST}:${portal.portOf(site)}/`;
  return {
    url: origin('xdmod'),
    port: portal.portOf('xdmod'),
    sodarUrl: `${origin('sodar')}${SODAR_BASE.slice(1)}`,
    axivionUrl: `${origin('axivion')}${AXIVION_BASE.slice(1)}`,
    hubUrl: portal.hasHub ? origin('hub') : undefined,
    jupyterPort: portal.jupyterPort,
    overridesFile: portal.overridesFile,
    close: () => portal.close()
  };
}

/**
 * The portals as an administrator lists them in JupyterLab's `overrides.json`, at the
 * absolute addresses of a running demo.
 */
export function demoOverrides(urls: {
  xdmod: string;
  sodar: string;
  axivion: string;
}): Record<string, unknown> {
  return {
    'jupyterlab-portal-token:plugin': {
      portals: [
        { id: 'xdmod', kind: 'xdmod', label: 'XDMoD (demo)', url: urls.xdmod },
        { id: 'sodar', kind: 'sodar', label: 'SODAR (demo)', url: urls.sodar },
        {
          id: 'axivion',
          kind: 'axivion',
          label: 'Axivion Dashboard (demo)',
          url: urls.axivion
        }
      ]
    }
  };
}

namespace Private {
  /** The demo's origins: one per portal, and the hub's. */
  export type Site = 'xdmod' | 'sodar' | 'axivion' | 'hub';

  /** Their order: with a fixed port, XDMoD's is `port` and the others follow it. */
  const SITES: readonly Site[] = ['xdmod', 'sodar', 'axivion', 'hub'];

  export class Portal {
    constructor(options: IPortalOptions) {
      this._options = options;
      this._logger =
        options.logger === 'silent'
          ? silentLogger
          : (options.logger ?? stderrLogger);
      const jupyter = options.jupyter !== false;
      const users = new UserDirectory(options.users);
      this._clock = options.fixedClock
        ? fixedClock(options.fixedClock)
        : realClock;
      const deps = {
        users,
        faults: this._faults,
        logger: this._logger,
        landingPath: jupyter ? `${JUPYTER_BASE_URL}lab` : '/',
        clock: this._clock
      };
      this._xdmod = createXdmodPortal(deps, {
        tokenLifetime: options.tokenLifetime,
        corsOrigins: options.corsOrigins,
        jupyter
      });
      this._modules = [
        this._xdmod,
        createAxivionPortal(deps, options.axivion),
        createSodarPortal(deps, options.sodar)
      ];
      this._hub = jupyter ? new DemoHub(users) : undefined;
      for (const fault of options.faults ?? []) {
        this._faults.add(fault);
      }
      for (const site of SITES) {
        if (site === 'hub' && !this._hub) {
          continue;
        }
        const server = createServer((req, res) => {
          void this._onRequest(site, req, res);
        });
        server.on('upgrade', (req, socket, head) =>
          this._onUpgrade(site, req, socket, head)
        );
        this._servers.set(site, server);
      }
    }

    portOf(site: Site): number {
      const server = this._servers.get(site);
      return server ? (server.address() as AddressInfo).port : 0;
    }

    get hasHub(): boolean {
      return this._hub !== undefined;
    }

    get jupyterPort(): number | undefined {
      return this._lab?.port;
    }

    get overridesFile(): string | undefined {
      return this._settingsDir
        ? join(this._settingsDir, 'overrides.json')
        : undefined;
    }

    /** Listens on `port`, `port + 1`, … (or on free ports for 0), XDMoD's first. */
    async listen(port: number): Promise<void> {
      let index = 0;
      for (const server of this._servers.values()) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port === 0 ? 0 : port + index, HOST, () => {
            server.off('error', reject);
            resolve();
          });
        });
        index++;
      }
    }

    async startJupyter(): Promise<void> {
      const jupyter = this._options.jupyter;
      if (jupyter === false) {
        return;
      }
      // JupyterLab's settings directory, with the portals at this run's addresses.
      this._settingsDir = await mkdtemp(join(tmpdir(), 'portal-token-demo-'));
      const origin = (site: Site) => `http://${HOST}:${this.portOf(site)}/`;
      await writeFile(
        join(this._settingsDir, 'overrides.json'),
        `${JSON.stringify(
          demoOverrides({
            xdmod: origin('xdmod'),
            sodar: `${origin('sodar')}${SODAR_BASE.slice(1)}`,
            axivion: `${origin('axivion')}${AXIVION_BASE.slice(1)}`
          }),
          null,
          2
        )}\n`
      );
      this._lab = await startJupyterLab({
        ...jupyter,
        args: [
          `--LabApp.app_settings_dir=${this._settingsDir}`,
          ...(jupyter?.args ?? [])
        ],
        baseUrl: JUPYTER_BASE_URL,
        logger: this._logger,
        stripCookies: [
          ...this._modules.flatMap(m => m.sessionCookies),
          ...(this._hub?.sessionCookies ?? [])
        ]
      });
    }

    close(): Promise<void> {
      if (!this._closing) {
        this._closing = this._close();
      }
      return this._closing;
    }

    private async _close(): Promise<void> {
      const closed = [...this._servers.values()].map(
        server =>
          new Promise<void>(resolve => {
            if (!server.listening) {
              resolve();
              return;
            }
            server.close(() => resolve());
            server.closeAllConnections();
          })
      );
      for (const socket of this._upgraded) {
        socket.destroy();
      }
      await Promise.all(closed);
      await this._lab?.stop();
      if (this._settingsDir) {
        await rm(this._settingsDir, { recursive: true, force: true });
      }
    }

    private async _onRequest(
      site: Site,
      req: IncomingMessage,
      res: ServerResponse
    ): Promise<void> {
      const method = (req.method ?? 'GET').toUpperCase();
      res.once('close', () => {
        const status = res.writableFinished ? res.statusCode : 'aborted';
        this._logger.line(requestLine(method, req.url ?? '', status));
      });
      try {
        const url = new URL(req.url ?? '/', `http://${HOST}`);
        const context: IRequestContext = { req, res, url, method };
        if (await this._route(site, context)) {
          return;
        }
        if (site === 'xdmod' && wantsHtml(req)) {
          sendHtml(res, 404, notFoundPage());
        } else {
          sendText(res, 404, 'Not found');
        }
      } catch (error) {
        // The message only: it never holds a request's secrets.
        this._logger.line(
          `error in ${requestLine(method, req.url ?? '', '')}: ${(error as Error).message}`
        );
        if (!res.headersSent) {
          sendText(res, 500, 'Internal server error');
        } else {
          res.destroy();
        }
      }
    }

    /** Each origin serves its own portal; XDMoD's also the test hooks, and JupyterLab. */
    private async _route(
      site: Site,
      context: IRequestContext
    ): Promise<boolean> {
      const { pathname } = context.url;
      if (
        site === 'xdmod' &&
        (pathname === '/__demo__' || pathname.startsWith('/__demo__/'))
      ) {
        return this._options.testHooks ? this._testHook(context) : false;
      }
      if (
        (site === 'xdmod' || site === 'hub') &&
        (pathname === '/jupyter' || pathname.startsWith(JUPYTER_BASE_URL))
      ) {
        this._jupyter(site, context);
        return true;
      }
      if (site === 'hub') {
        return this._hub!.handle(context);
      }
      return this._module(site).handle(context);
    }

    private _module(site: Exclude<Site, 'hub'>): IPortalModule {
      return this._modules.find(m => m.name === site)!;
    }

    /** The gate in front of JupyterLab: only people signed in to XDMoD (or the hub) pass. */
    private _jupyter(
      site: Site,
      { req, res, url, method }: IRequestContext
    ): void {
      if (this._options.jupyter === false) {
        sendText(res, 404, 'JupyterLab is not part of this demo portal.');
        return;
      }
      if (!this._signedIn(site, req)) {
        if (method === 'GET' && wantsHtml(req)) {
          const next =
            url.pathname === '/jupyter'
              ? '/jupyter/lab'
              : url.pathname + url.search;
          const login = site === 'hub' ? '/hub/login' : '/';
          redirect(res, 302, `${login}?next=${encodeURIComponent(next)}`);
        } else {
          sendJson(res, 401, { message: 'Sign in to the portal first.' });
        }
        return;
      }
      if (url.pathname === '/jupyter') {
        redirect(res, 302, `${JUPYTER_BASE_URL}lab`);
        return;
      }
      if (!this._lab) {
        sendText(res, 503, 'JupyterLab is starting.');
        return;
      }
      this._lab.web(req, res);
    }

    private _onUpgrade(
      site: Site,
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer
    ) {
      // A browser may close its socket while JupyterLab still answers (a kernel just shut
      // down): the late write fails with EPIPE, which without a listener would end the process.
      socket.on('error', () => socket.destroy());
      const path = (req.url ?? '').split('?')[0];
      const refuse = (status: number, text: string) => {
        this._logger.line(requestLine('GET', path, status));
        socket.end(
          `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
        );
      };
      if (
        (site !== 'xdmod' && site !== 'hub') ||
        !path.startsWith(JUPYTER_BASE_URL) ||
        !this._lab
      ) {
        refuse(404, 'Not Found');
        return;
      }
      if (!this._signedIn(site, req)) {
        refuse(401, 'Unauthorized');
        return;
      }
      this._upgraded.add(socket);
      socket.once('close', () => this._upgraded.delete(socket));
      let logged = false;
      this._lab.ws(req, socket, head, status => {
        if (!logged) {
          logged = true;
          this._logger.line(requestLine('GET', path, status));
        }
      });
    }

    private _signedIn(site: Site, req: IncomingMessage): boolean {
      const gate = site === 'hub' ? this._hub : this._xdmod;
      return gate?.signedInUser(req) !== undefined;
    }

    /** `/__demo__/…`: faults, reset, and each module's own hooks. */
    private async _testHook(context: IRequestContext): Promise<boolean> {
      const { res, method } = context;
      const path = context.url.pathname.replace(/\/+$/, '');
      if (path === '/__demo__/faults') {
        if (method === 'GET') {
          sendJson(res, 200, { faults: this._faults.list() });
          return true;
        }
        if (method === 'DELETE') {
          this._faults.clear();
          sendJson(res, 200, { faults: [] });
          return true;
        }
        if (method === 'POST') {
          const body = await readJson(context.req);
          if (body.clear === true) {
            this._faults.clear();
            sendJson(res, 200, { faults: [] });
            return true;
          }
          try {
            this._faults.add(body as unknown as IFault);
          } catch (error) {
            sendJson(res, 400, { message: (error as Error).message });
            return true;
          }
          sendJson(res, 200, { faults: this._faults.list() });
          return true;
        }
        return false;
      }
      if (path === '/__demo__/reset' && method === 'POST') {
        this._faults.clear();
        this._clock.reset();
        for (const module of this._modules) {
          module.reset();
        }
        sendJson(res, 200, { reset: true });
        return true;
      }
      const match = /^\/__demo__\/([a-z]+)\/([a-z-]+)$/.exec(path);
      if (match && method === 'POST') {
        const module = this._modules.find(m => m.name === match[1]);
        if (module?.testHook) {
          return module.testHook(match[2], context);
        }
      }
      return false;
    }

    private _options: IPortalOptions;
    private _logger: ILogger;
    private _faults = new FaultRegistry();
    private _clock: IDemoClock;
    private _xdmod: IPortalModule;
    private _modules: IPortalModule[];
    private _hub?: DemoHub;
    private _servers = new Map<Site, Server>();
    private _settingsDir?: string;
    private _lab?: IJupyterLab;
    private _closing?: Promise<void>;
    private _upgraded = new Set<Duplex>();
  }
}
