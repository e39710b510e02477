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

it('serves SODAR with no CORS headers, on a preflight or a request', async () => {
  const preflight = await fromAnotherOrigin(
    new URL('sodar/tokens/api/login', portal.sodarOrigin),
    {
      method: 'OPTIONS',
      headers: {
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization'
      }
    }
  );
  expect(corsHeaders(preflight)).toEqual([]);
  await preflight.body?.cancel();
  const login = await fromAnotherOrigin(
    new URL('sodar/tokens/api/login', portal.sodarOrigin),
    {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`
      }
    }
  );
  expect(login.status).toBe(201);
  expect(corsHeaders(login)).toEqual([]);
  await login.body?.cancel();
});

it('serves the Axivion Dashboard with no CORS headers', async () => {
  const preflight = await fromAnotherOrigin(
    new URL('axivion/api', portal.axivionOrigin),
    {
      method: 'OPTIONS',
      headers: {
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization'
      }
    }
  );
  expect(corsHeaders(preflight)).toEqual([]);
  await preflight.body?.cancel();
  const info = await fromAnotherOrigin(
    new URL('axivion/api', portal.axivionOrigin),
    {
      headers: {
        Authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`,
        Accept: 'application/json'
      }
    }
  );
  expect(info.status).toBe(200);
  expect(corsHeaders(info)).toEqual([]);
  await info.body?.cancel();
});
