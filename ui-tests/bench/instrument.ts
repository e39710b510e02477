/**
 * Init scripts for the benchmark pages. Each runs in the page before JupyterLab loads, so
 * nothing here can import anything: Playwright serialises the function.
 */

/**
 * Note the moment `app.restored` resolves, in ms since navigation start, as
 * `window.__benchRestored`. JupyterLab assigns `window.jupyterapp` (with `exposeAppInBrowser`)
 * just before `app.start()`.
 */
export function startupProbe(): void {
  const w = window as any;
  let app: any;
  Object.defineProperty(w, 'jupyterapp', {
    configurable: true,
    get: () => app,
    set: (value: any) => {
      app = value;
      void value.restored.then(() => {
        w.__benchRestored = performance.now();
      });
    }
  });
}

/**
 * What the extension holds, seen from outside:
 * - timers (`setTimeout`/`setInterval`) created with the extension's code on the call stack,
 *   alive until they fire or are cleared;
 * - WebSockets, open until closed, and whether the extension's code opened them;
 * - every `WeakMap`, so that Lumino's own connection maps can be found later and read
 *   (`@lumino/signaling` keeps every signal connection in two module-level WeakMaps).
 * All under `window.__bench`.
 */
export function leakProbe(): void {
  const w = window as any;
  const EXTENSION = '/jupyterlab-portal-token/static/';
  Error.stackTraceLimit = 100;
  const fromExtension = (): boolean =>
    (new Error().stack ?? '').includes(EXTENSION);

  const timers = new Map<unknown, 'timeout' | 'interval'>();
  const setTimeout0 = w.setTimeout;
  const setInterval0 = w.setInterval;
  const clearTimeout0 = w.clearTimeout;
  const clearInterval0 = w.clearInterval;
  w.setTimeout = function (handler: unknown, ...rest: unknown[]) {
    if (typeof handler !== 'function' || !fromExtension()) {
      return setTimeout0.call(w, handler, ...rest);
    }
    const id = setTimeout0.call(
      w,
      function (this: unknown, ...args: unknown[]) {
        timers.delete(id);
        return (handler as (...a: unknown[]) => unknown).apply(this, args);
      },
      ...rest
    );
    timers.set(id, 'timeout');
    return id;
  };
  w.setInterval = function (...args: unknown[]) {
    const id = setInterval0.call(w, ...args);
    if (fromExtension()) {
      timers.set(id, 'interval');
    }
    return id;
  };
  // Timeouts and intervals share one id space: either clear works on both.
  w.clearTimeout = function (id: unknown) {
    timers.delete(id);
    return clearTimeout0.call(w, id);
  };
  w.clearInterval = function (id: unknown) {
    timers.delete(id);
    return clearInterval0.call(w, id);
  };

  const sockets = new Map<WebSocket, boolean>();
  w.WebSocket = new Proxy(w.WebSocket, {
    construct(target, args, newTarget) {
      const socket = Reflect.construct(target, args, newTarget) as WebSocket;
      sockets.set(socket, fromExtension());
      socket.addEventListener('close', () => sockets.delete(socket));
      return socket;
    }
  });

  const weakMaps: WeakRef<WeakMap<object, unknown>>[] = [];
  w.WeakMap = new Proxy(w.WeakMap, {
    construct(target, args, newTarget) {
      const map = Reflect.construct(target, args, newTarget);
      weakMaps.push(new WeakRef(map));
      return map;
    }
  });

  w.__bench = { timers, sockets, weakMaps };
}
