/**
 * The demo portal server: an Open XDMoD portal on 127.0.0.1 with JupyterLab on the same
 * origin under `/jupyter/`, as XDMoD's hosted JupyterHub serves it.
 *
 * Portals are modules ({@link IPortalModule}); the server owns the listener, logging,
 * the test hooks and the JupyterLab gate and proxy.
 */
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

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
import type { IPortalModule } from './portal';
import { createSodarPortal, ISodarOptions } from './sodar';
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
  /** The port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** XDMoD token lifetime: `"6 months"` (default), `"3 hours"`, `"10 seconds"`, or seconds. */
  tokenLifetime?: string | number;
  /** Exact origins XDMoD answers with CORS headers (`[cors] domains`). */
  corsOrigins?: string[];
  /** Axivion Dashboard settings (CSRF token lifetime, default token lifetime). */
  axivion?: IAxivionOptions;
  /** SODAR settings (lockout threshold and duration, time zone). */
  sodar?: Omit<ISodarOptions, 'jupyter'>;
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
}

/** A running portal. */
export interface IRunningPortal {
  /** The portal's base URL, e.g. `http://127.0.0.1:8800/` (with a trailing slash). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * JupyterLab's own loopback port (it answers only with the portal's secret token);
   * undefined without JupyterLab. For tests that check JupyterLab is reachable only
   * through the portal.
   */
  readonly jupyterPort?: number;
  /** Stops the server and JupyterLab. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the demo portal and, unless `jupyter` is false, JupyterLab behind it.
 * Resolves once both answer. Rejects with `code: 'EADDRINUSE'` when the port is busy.
 */
export async function startPortal(
  options: IPortalOptions = {}
): Promise<IRunningPortal> {
  const portal = new Private.Portal(options);
  await portal.listen(options.port ?? 0);
  try {
    await portal.startJupyter();
  } catch (error) {
    await portal.close();
    throw error;
  }
  return {
    url: `http://${HOST}:${portal.port}/`,
    port: portal.port,
    jupyterPort: portal.jupyterPort,
    close: () => portal.close()
  };
}

namespace Private {
  export class Portal {
    constructor(options: IPortalOptions) {
      this._options = options;
      this._logger =
        options.logger === 'silent'
          ? silentLogger
          : (options.logger ?? stderrLogger);
      const jupyter = options.jupyter !== false;
      const deps = {
        users: new UserDirectory(options.users),
        faults: this._faults,
        logger: this._logger,
        landingPath: jupyter ? `${JUPYTER_BASE_URL}lab` : '/'
      };
      this._modules = [
        createXdmodPortal(deps, {
          tokenLifetime: options.tokenLifetime,
          corsOrigins: options.corsOrigins,
          jupyter
        }),
        createAxivionPortal(deps, options.axivion),
        createSodarPortal(deps, { ...options.sodar, jupyter })
      ];
      for (const fault of options.faults ?? []) {
        this._faults.add(fault);
      }
      this._server = createServer((req, res) => {
        void this._onRequest(req, res);
      });
      this._server.on('upgrade', (req, socket, head) =>
        this._onUpgrade(req, socket, head)
      );
    }

    get port(): number {
      return (this._server.address() as AddressInfo).port;
    }

    get jupyterPort(): number | undefined {
      return this._lab?.port;
    }

    listen(port: number): Promise<void> {
      return new Promise((resolve, reject) => {
        this._server.once('error', reject);
        this._server.listen(port, HOST, () => {
          this._server.off('error', reject);
          resolve();
        });
      });
    }

    async startJupyter(): Promise<void> {
      const jupyter = this._options.jupyter;
      if (jupyter === false) {
        return;
      }
      this._lab = await startJupyterLab({
        ...jupyter,
        baseUrl: JUPYTER_BASE_URL,
        logger: this._logger,
        stripCookies: this._modules.flatMap(m => m.sessionCookies)
      });
    }

    close(): Promise<void> {
      if (!this._closing) {
        this._closing = this._close();
      }
      return this._closing;
    }

    private async _close(): Promise<void> {
      const closed = new Promise<void>(resolve => {
        if (!this._server.listening) {
          resolve();
          return;
        }
        this._server.close(() => resolve());
      });
      this._server.closeAllConnections();
      for (const socket of this._upgraded) {
        socket.destroy();
      }
      await closed;
      await this._lab?.stop();
    }

    private async _onRequest(
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
        if (await this._route(context)) {
          return;
        }
        if (wantsHtml(req)) {
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

    private async _route(context: IRequestContext): Promise<boolean> {
      const { pathname } = context.url;
      if (pathname === '/__demo__' || pathname.startsWith('/__demo__/')) {
        return this._options.testHooks ? this._testHook(context) : false;
      }
      if (pathname === '/jupyter' || pathname.startsWith(JUPYTER_BASE_URL)) {
        this._jupyter(context);
        return true;
      }
      for (const module of this._modules) {
        if (await module.handle(context)) {
          return true;
        }
      }
      return false;
    }

    /** The gate in front of JupyterLab: only signed-in people get through. */
    private _jupyter({ req, res, url, method }: IRequestContext): void {
      if (this._options.jupyter === false) {
        sendText(res, 404, 'JupyterLab is not part of this demo portal.');
        return;
      }
      if (!this._signedIn(req)) {
        if (method === 'GET' && wantsHtml(req)) {
          const next =
            url.pathname === '/jupyter'
              ? '/jupyter/lab'
              : url.pathname + url.search;
          redirect(res, 302, `/?next=${encodeURIComponent(next)}`);
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

    private _onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
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
      if (!path.startsWith(JUPYTER_BASE_URL) || !this._lab) {
        refuse(404, 'Not Found');
        return;
      }
      if (!this._signedIn(req)) {
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

    private _signedIn(req: IncomingMessage): boolean {
      return this._modules.some(module => module.signedInUser(req));
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
    private _modules: IPortalModule[];
    private _server: Server;
    private _lab?: IJupyterLab;
    private _closing?: Promise<void>;
    private _upgraded = new Set<Duplex>();
  }
}
