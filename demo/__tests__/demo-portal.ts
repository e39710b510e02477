/**
 * The demo portal a test file runs against (started before its tests, closed after them),
 * and requests to it the way a browser makes them.
 */
import { IPortalOptions, IRunningPortal, startPortal } from '../src/server';

/** A demo portal for the tests of one file or one `describe`. */
export interface IDemoPortal {
  /** XDMoD's base URL (also the test hooks'), with a trailing slash (once the tests run). */
  readonly url: string;
  /** SODAR's origin, e.g. `http://127.0.0.1:8801/` (SODAR itself is at `sodar/` below it). */
  readonly sodarOrigin: string;
  /** The Axivion Dashboard's origin (the dashboard is at `axivion/` below it). */
  readonly axivionOrigin: string;
  /** The log lines it wrote, oldest first (none when the options give another logger). */
  readonly lines: string[];
}

/**
 * Starts a demo portal in `beforeAll` (no JupyterLab; log lines kept in `lines` unless
 * `options` say otherwise) and closes it in `afterAll`.
 */
export function useDemoPortal(options: IPortalOptions = {}): IDemoPortal {
  const lines: string[] = [];
  let running: IRunningPortal | undefined;
  beforeAll(async () => {
    running = await startPortal({
      port: 0,
      jupyter: false,
      logger: { line: text => lines.push(text) },
      ...options
    });
  });
  afterAll(async () => {
    await running?.close();
  });
  const started = (): IRunningPortal => {
    if (!running) {
      throw new Error('The demo portal has not started yet.');
    }
    return running;
  };
  return {
    get url() {
      return started().url;
    },
    get sodarOrigin() {
      return new URL('/', started().sodarUrl).href;
    },
    get axivionOrigin() {
      return new URL('/', started().axivionUrl).href;
    },
    lines
  };
}

/**
 * Browser-like requests to a portal: HTML wanted, redirects visible, cookies passed by hand,
 * a form posted when given.
 */
export function browser(portal: { readonly url: string }) {
  return (
    path: string,
    options: { cookie?: string; form?: Record<string, string> } = {}
  ): Promise<Response> => {
    const headers: Record<string, string> = { Accept: 'text/html' };
    if (options.cookie) {
      headers.Cookie = options.cookie;
    }
    if (options.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    return fetch(new URL(path, portal.url), {
      method: options.form ? 'POST' : 'GET',
      headers,
      body: options.form
        ? new URLSearchParams(options.form).toString()
        : undefined,
      redirect: 'manual'
    });
  };
}

/** The cookies a response sets, as a `Cookie` header sends them back. */
export function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map(header => header.split(';')[0])
    .join('; ');
}
