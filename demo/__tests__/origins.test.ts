/**
 * The demo laid out as real deployments are: each portal on its own origin, answering only
 * its own paths, and SODAR and the Axivion Dashboard with no CORS headers at all (as the
 * real ones), so a page on another origin cannot read them.
 */
import { useDemoPortal } from './demo-portal';

const portal = useDemoPortal({ testHooks: true });

/** A cross-origin request as a browser sends it, from a page on another origin. */
function fromAnotherOrigin(
  url: URL,
  init: { method?: string; headers?: Record<string, string> } = {}
): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { Origin: 'http://127.0.0.1:1', ...init.headers },
    redirect: 'manual'
  });
}

function corsHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter(name =>
    name.startsWith('access-control-')
  );
}

it('puts each portal on its own port of 127.0.0.1', () => {
  const origins = [portal.url, portal.sodarOrigin, portal.axivionOrigin].map(
    url => new URL(url)
  );
  expect(new Set(origins.map(url => url.port)).size).toBe(3);
  expect(origins.map(url => url.hostname)).toEqual([
    '127.0.0.1',
    '127.0.0.1',
    '127.0.0.1'
  ]);
});

it.each([
  ['SODAR', 'sodar', 'sodar/tokens/api/login', 'rest/auth/login'],
  ['the Axivion Dashboard', 'axivion', 'axivion/api', 'sodar/tokens/api/login']
])(
  '%s answers its own paths and no other portal’s',
  async (_name, site, own, other) => {
    const origin = site === 'sodar' ? portal.sodarOrigin : portal.axivionOrigin;
    const mine = await fetch(new URL(own, origin), { method: 'POST' });
    expect(mine.status).not.toBe(404);
    await mine.body?.cancel();
    const theirs = await fetch(new URL(other, origin), { method: 'POST' });
    expect(theirs.status).toBe(404);
    await theirs.body?.cancel();
    const hooks = await fetch(new URL('__demo__/reset', origin), {
      method: 'POST'
    });
    expect(hooks.status).toBe(404);
    await hooks.body?.cancel();
  }
);

const DEMO_BASIC = `Basic ${Buffer.from('demo:demo').toString('base64')}`;

it.each<{
  portal: string;
  origin: () => string;
  path: string;
  method: string;
  headers: Record<string, string>;
  status: number;
}>([
  {
    portal: 'SODAR',
    origin: () => portal.sodarOrigin,
    path: 'sodar/tokens/api/login',
    method: 'POST',
    headers: {},
    status: 201
  },
  {
    portal: 'the Axivion Dashboard',
    origin: () => portal.axivionOrigin,
    path: 'axivion/api',
    method: 'GET',
    headers: { Accept: 'application/json' },
    status: 200
  }
])(
  'serves $portal with no CORS headers, on a preflight or a request',
  async ({ origin, path, method, headers, status }) => {
    const url = new URL(path, origin());
    const preflight = await fromAnotherOrigin(url, {
      method: 'OPTIONS',
      headers: {
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'authorization'
      }
    });
    expect(corsHeaders(preflight)).toEqual([]);
    await preflight.body?.cancel();
    const answer = await fromAnotherOrigin(url, {
      method,
      headers: { Authorization: DEMO_BASIC, ...headers }
    });
    expect(answer.status).toBe(status);
    expect(corsHeaders(answer)).toEqual([]);
    await answer.body?.cancel();
  }
);
