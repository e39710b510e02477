/**
 * JupyterLab behind the portal: started on a free loopback port with a random token
 * that only the portal's proxy knows, so JupyterLab is reachable only through the portal.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { AddressInfo, createServer, Socket } from 'node:net';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

import httpProxy from 'http-proxy';

import { withoutCookies } from './http';
import type { ILogger } from './log';

/** How to start JupyterLab. */
export interface IJupyterOptions {
  /** The executable, resolved on PATH; `jupyter` by default (`lab` is added for it). */
  command?: string;
  /** Extra arguments, e.g. `--config=/path/jupyter_server_test_config.py`. */
  args?: string[];
  /** The working directory, also used as JupyterLab's root directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** How long to wait for JupyterLab to answer (ms); 60 000 by default. */
  startTimeoutMs?: number;
}

/** A running JupyterLab and the proxy in front of it. */
export interface IJupyterLab {
  /** The upstream port on 127.0.0.1. */
  readonly port: number;
  /** Proxies an HTTP request (the caller has checked the portal session). */
  web(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Proxies a WebSocket upgrade (the caller has checked the portal session);
   * `onStatus` learns JupyterLab's answer (101 when upgraded), for the log.
   */
  ws(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onStatus?: (status: number) => void
  ): void;
  /** Stops JupyterLab: SIGTERM, then SIGKILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts JupyterLab under `baseUrl` and waits until it answers. */
export async function startJupyterLab(
  options: IJupyterOptions & {
    /** The path prefix, e.g. `/jupyter/`. */
    baseUrl: string;
    /** Where JupyterLab's output goes, prefixed `[jupyter]`. */
    logger: ILogger;
    /** Cookies to strip before forwarding (the portal's session cookies). */
    stripCookies: readonly string[];
  }
): Promise<IJupyterLab> {
  const port = await Private.freePort();
  const token = randomBytes(32).toString('hex');
  const command = options.command || 'jupyter';
  const name = basename(command).replace(/\.exe$/i, '');
  const args = [
    ...(name === 'jupyter' ? ['lab'] : []),
    `--ServerApp.base_url=${options.baseUrl}`,
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--ServerApp.port_retries=0',
    '--no-browser',
    '--allow-root',
    ...(options.cwd ? [`--ServerApp.root_dir=${options.cwd}`] : []),
    ...(options.args ?? [])
  ];
  const child = spawn(command, args, {
    cwd: options.cwd,
    // The token travels in the environment, not on the command line where `ps` shows it.
    env: { ...process.env, ...options.env, JUPYTER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only the portal, which then stops
    // JupyterLab, and the whole group (kernels included) can be killed at once.
    detached: true
  });
  const lab = new Private.RunningLab(child, port, token, options);
  try {
    await lab.waitUntilReady(options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await lab.stop();
    throw error;
  }
  return lab;
}

namespace Private {
  /** Asks the OS for a free loopback port. */
  export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  /** One GET of the upstream status with the token; resolves the status code or 0. */
  function status(port: number, path: string, token: string) {
    return new Promise<number>(resolve => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          headers: { Authorization: `token ${token}` },
          timeout: 2000
        },
        res => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end();
    });
  }

  /** The lines JupyterLab printed last, kept to explain a failed start. */
  const TAIL_LINES = 40;

  /** The grace period between SIGTERM and SIGKILL. */
  const KILL_AFTER_MS = 5000;

  export class RunningLab implements IJupyterLab {
    constructor(
      child: ChildProcess,
      readonly port: number,
      token: string,
      options: {
        baseUrl: string;
        logger: ILogger;
        stripCookies: readonly string[];
      }
    ) {
      this._child = child;
      this._token = token;
      this._baseUrl = options.baseUrl;
      this._logger = options.logger;
      this._strip = new Set(options.stripCookies);
      this._exited = new Promise(resolve => {
        child.once('exit', (code, signal) => {
          this._exit = { code, signal };
          process.off('exit', this._killOnExit);
          resolve();
        });
      });
      child.once('error', error => {
        this._spawnError = error;
        this._exit = this._exit ?? { code: null, signal: null };
      });
      this._pipe(child.stdout);
      this._pipe(child.stderr);
      // JupyterLab must not outlive the portal, however the portal ends.
      process.on('exit', this._killOnExit);

      // No changeOrigin: the Host header stays the portal's, which is what the browser
      // puts in Origin, so JupyterLab's WebSocket origin check passes.
      this._proxy = httpProxy.createProxyServer({
        target: { host: '127.0.0.1', port },
        ws: true,
        xfwd: false
      });
      this._proxy.on('proxyReqWs', (proxyReq, req) => {
        const report = this._wsStatus.get(req);
        if (report) {
          proxyReq.once('upgrade', () => report(101));
          proxyReq.once('response', res => report(res.statusCode ?? 0));
        }
      });
      this._proxy.on('error', (error, req, target) => {
        this._wsStatus.get(req)?.(502);
        this._logger.line(
          `[proxy] ${req.method} ${Private.pathOf(req)}: ${error.message}`
        );
        if (target instanceof Socket || !('writeHead' in target)) {
          (target as Duplex).destroy();
          return;
        }
        const res = target as ServerResponse;
        if (!res.headersSent) {
          res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
        }
        res.end('JupyterLab is not answering.');
      });
    }

    web(req: IncomingMessage, res: ServerResponse): void {
      this._prepare(req);
      this._proxy.web(req, res);
    }

    ws(
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      onStatus?: (status: number) => void
    ): void {
      this._prepare(req);
      if (onStatus) {
        this._wsStatus.set(req, onStatus);
      }
      this._proxy.ws(req, socket, head);
    }

    async waitUntilReady(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      const path = `${this._baseUrl}api/status`;
      while (Date.now() < deadline) {
        if (this._exit) {
          const reason = this._spawnError
            ? this._spawnError.message
            : `exit code ${this._exit.code ?? this._exit.signal}`;
          throw new Error(
            `JupyterLab did not start (${reason}).\n${this._tail.join('\n')}`
          );
        }
        if ((await status(this.port, path, this._token)) === 200) {
          return;
        }
        await new Promise(resolve => setTimeout(resolve, 250));
      }
      throw new Error(
        `JupyterLab did not answer within ${Math.round(timeoutMs / 1000)} s.\n${this._tail.join('\n')}`
      );
    }

    async stop(): Promise<void> {
      if (!this._stopping) {
        this._stopping = this._stop();
      }
      return this._stopping;
    }

    private async _stop(): Promise<void> {
      this._proxy.close();
      if (!this._exit) {
        // SIGTERM: JupyterLab shuts its kernels down itself.
        this._signal('SIGTERM', false);
        const timer = new Promise<'timeout'>(resolve => {
          setTimeout(() => resolve('timeout'), KILL_AFTER_MS).unref();
        });
        if ((await Promise.race([this._exited, timer])) === 'timeout') {
          this._killAll();
        }
        await Promise.race([
          this._exited,
          new Promise(resolve => setTimeout(resolve, 1000).unref())
        ]);
      }
      // Anything left in JupyterLab's process group (its own helpers) goes too.
      this._signal('SIGKILL', true);
      process.off('exit', this._killOnExit);
    }

    /** Adds the upstream token and removes what JupyterLab must not see. */
    private _prepare(req: IncomingMessage): void {
      req.headers.authorization = `token ${this._token}`;
      const cookie = withoutCookies(req.headers.cookie, this._strip);
      if (cookie) {
        req.headers.cookie = cookie;
      } else {
        delete req.headers.cookie;
      }
      // Jupyter reads a `token` query parameter before the header: drop any, so the
      // portal's token is the one that counts.
      const url = new URL(req.url ?? '/', 'http://portal.invalid');
      if (url.searchParams.has('token')) {
        url.searchParams.delete('token');
        req.url = url.pathname + url.search;
      }
    }

    private _signal(signal: NodeJS.Signals, group: boolean): void {
      const pid = this._child.pid;
      if (pid === undefined) {
        return;
      }
      try {
        process.kill(group ? -pid : pid, signal);
      } catch {
        // Already gone.
      }
    }

    private _pipe(stream: NodeJS.ReadableStream | null): void {
      if (!stream) {
        return;
      }
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          this._line(line);
        }
      });
      stream.on('end', () => {
        if (buffered) {
          this._line(buffered);
        }
      });
    }

    private _line(raw: string): void {
      // JupyterLab prints its URLs with the token: never let it reach the log.
      const line = raw
        .split(this._token)
        .join('<token>')
        .replace(/([?&]token=)[^&\s]+/g, '$1<token>');
      this._tail.push(line);
      if (this._tail.length > TAIL_LINES) {
        this._tail.shift();
      }
      this._logger.line(`[jupyter] ${line}`);
    }

    /**
     * SIGKILL for JupyterLab, its process group and its descendants. Kernels run in
     * sessions of their own, so the group alone would miss them; they are found through
     * /proc while JupyterLab is still their parent (Linux; elsewhere the group only).
     */
    private _killAll(): void {
      const pid = this._child.pid;
      if (pid === undefined || this._exit) {
        return;
      }
      for (const descendant of descendants(pid)) {
        try {
          process.kill(descendant, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      this._signal('SIGKILL', true);
    }

    /** Runs synchronously from process 'exit': JupyterLab must not outlive the portal. */
    private _killOnExit = () => this._killAll();

    private _child: ChildProcess;
    private _token: string;
    private _baseUrl: string;
    private _logger: ILogger;
    private _strip: ReadonlySet<string>;
    private _proxy: httpProxy;
    private _exited: Promise<void>;
    private _exit?: { code: number | null; signal: NodeJS.Signals | null };
    private _spawnError?: Error;
    private _stopping?: Promise<void>;
    private _tail: string[] = [];
    private _wsStatus = new WeakMap<
      IncomingMessage,
      (status: number) => void
    >();
  }

  /** The pids of a process's descendants, from /proc; empty where there is no /proc. */
  export function descendants(root: number): number[] {
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return [];
    }
    const children = new Map<number, number[]>();
    for (const name of names) {
      if (!/^[0-9]+$/.test(name)) {
        continue;
      }
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue;
      }
      // "pid (command) state ppid …": the command may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    }
    const found: number[] = [];
    const queue = [root];
    while (queue.length) {
      for (const child of children.get(queue.shift() as number) ?? []) {
        found.push(child);
        queue.push(child);
      }
    }
    return found;
  }

  /** A request's path without its query string, for log lines. */
  export function pathOf(req: IncomingMessage): string {
    return (req.url ?? '').split('?')[0];
  }
}
