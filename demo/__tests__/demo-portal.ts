/**
 * The demo portal a test file runs against (started before its tests, closed after them),
 * and requests to it the way a browser makes them.
 */
import { IPortalOptions, IRunningPortal, startPortal } from '../src/server';

/** A demo portal for the tests of one file or one `describe`. */
export interface IDemoPortal {
  /** Its base URL, with a trailing slash (once the tests run). */
  readonly url: string;
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
  return {
    get url() {
      if (!running) {
        throw new Error('The demo portal has not started yet.');
      }
      return running.url;
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
