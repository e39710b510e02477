/**
 * The XDMoD client against the demo portal over real HTTP: every status code of PORTALS.md's
 * XDMoD table, and the failures (5xx, malformed JSON, hang, connection refused).
 *
 * The browser sends the portal's session cookies with `credentials: 'include'`; Node's fetch
 * keeps no cookies, so the client gets a fetch that adds the signed-in session's cookies, as
 * the browser would. Nothing else stands in for the portal.
 */
import type { IRunningPortal } from '../../../demo/src/server';
import { XdmodClient } from '../xdmod';
import {
  armFault,
  clientMaker,
  closedPort,
  rejection,
  resetDemo,
  startDemo
} from './portal-helpers';

const HOUR = 60 * 60 * 1000;

async function signIn(base: string, username: string, password: string) {
  const response = await fetch(new URL('rest/auth/login', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString()
  });
  expect(response.status).toBe(200);
  return response.headers
    .getSetCookie()
    .map(header => header.split(';')[0])
    .join('; ');
}

function withCookies(cookie: string): typeof fetch {
  return (input, init = {}) =>
    fetch(input, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Cookie: cookie }
    });
}

const clientFor = clientMaker(XdmodClient, 'xdmod', 'XDMoD');

describe('XdmodClient against the demo portal', () => {
  let portal: IRunningPortal;
  let client: XdmodClient;

  beforeAll(async () => {
    portal = await startDemo({ testHooks: true });
    const cookie = await signIn(portal.url, 'alice', 'alice-password');
    client = clientFor(portal.url, withCookies(cookie));
  });

  afterAll(async () => {
    await portal.close();
  });

  beforeEach(async () => {
    await resetDemo(portal.url);
  });

  it('says "signed out" on 401', async () => {
    const status = await clientFor(portal.url).status();
    expect(status).toEqual({ signedIn: false, available: true, tokens: [] });
  });

  it('says "no token" on 404 "API token not found."', async () => {
    expect(await client.status()).toEqual({
      signedIn: true,
      available: true,
      tokens: []
    });
  });

  it('says "not available" when the token route itself is missing', async () => {
    const cookie = await signIn(portal.url, 'alice', 'alice-password');
    const elsewhere = clientFor(
      `${portal.url}no-xdmod-here/`,
      withCookies(cookie)
    );
    const status = await elsewhere.status();
    expect(status.available).toBe(false);
  });

  it('creates a token: secret in XDMoD format, expiry about six months out, to the hour', async () => {
    const before = Date.now();
    const created = await client.create();
    expect(created.secret).toMatch(/^42\.[0-9a-f]{64}$/);
    expect(created.precision).toBe('hour');
    const months6 = new Date(before);
    months6.setMonth(months6.getMonth() + 6);
    // Only date and hour can be trusted: the earliest reading is at most an hour early.
    const delta = months6.getTime() - created.expires!.getTime();
    expect(delta).toBeGreaterThanOrEqual(-5000);
    expect(delta).toBeLessThan(HOUR + 5000);

    const status = await client.status();
    expect(status.tokens).toHaveLength(1);
    expect(status.tokens[0].expires!.getTime()).toBe(
      created.expires!.getTime()
    );
    expect(Math.abs(status.tokens[0].created!.getTime() - before)).toBeLessThan(
      HOUR
    );
  });

  it('fails with "conflict" on 409 when a token exists', async () => {
    await client.create();
    const error = await rejection(client.create());
    expect(error.reason).toBe('conflict');
    expect(error.status).toBe(409);
    expect(error.portalMessage).toBe('Token already exists.');
  });

  it('revokes; a second revoke is "not found" (404)', async () => {
    await client.create();
    await client.revoke();
    expect((await client.status()).tokens).toEqual([]);
    const error = await rejection(client.revoke());
    expect(error.reason).toBe('not-found');
    expect(error.portalMessage).toBe('API token not found.');
  });

  it('reports a 500 on revoke with the portal message', async () => {
    await client.create();
    await armFault(portal.url, {
      route: 'DELETE /rest/users/current/api/token',
      status: 500
    });
    const error = await rejection(client.revoke());
    expect(error.reason).toBe('server');
    expect(error.status).toBe(500);
    expect(error.portalMessage).toBe('Unable to revoke API token.');
  });

  it('reports malformed JSON as a bad response', async () => {
    await armFault(portal.url, {
      route: 'POST /rest/users/current/api/token',
      malformed: true
    });
    const error = await rejection(client.create());
    expect(error.reason).toBe('bad-response');
  });

  it('gives up on a portal that hangs', async () => {
    const cookie = await signIn(portal.url, 'alice', 'alice-password');
    const impatient = clientFor(portal.url, withCookies(cookie), 300);
    await armFault(portal.url, {
      route: 'GET /rest/users/current/api/token',
      hangMs: 3000
    });
    const error = await rejection(impatient.status());
    expect(error.reason).toBe('timeout');
  });

  it('reports a refused connection as a network failure', async () => {
    const port = await closedPort();
    const error = await rejection(
      clientFor(`http://127.0.0.1:${port}/`).status()
    );
    expect(error.reason).toBe('network');
  });

  it('gives xdmod-data its variables: the token and the host without a trailing slash', () => {
    expect(client.environment('42.abc')).toEqual({
      token: '42.abc',
      host: portal.url.replace(/\/$/, '')
    });
  });
});

describe('XDMoD dates (Y-m-d H:m:s: the minutes hold the month)', () => {
  it('trusts date, hour and seconds, and takes the earliest minute', () => {
    const parsed = XdmodClient.parseDate('2027-05-23 14:05:09');
    expect(parsed!.earliest).toEqual(new Date(2027, 4, 23, 14, 0, 9));
  });

  it('recovers the minute from a lower bound (short lifetimes)', () => {
    const notBefore = new Date(2027, 4, 23, 14, 37, 0);
    const parsed = XdmodClient.parseDate('2027-05-23 14:05:09', notBefore);
    expect(parsed!.earliest).toEqual(new Date(2027, 4, 23, 14, 37, 9));
  });

  it('refuses what is not a date', () => {
    expect(XdmodClient.parseDate('yesterday')).toBeNull();
    expect(XdmodClient.parseDate('2027-02-30 10:02:00')).toBeNull();
    expect(XdmodClient.parseDate(null)).toBeNull();
  });
});

describe('XdmodClient with a short-lived token', () => {
  let portal: IRunningPortal;

  afterAll(async () => {
    await portal.close();
  });

  it('knows the exact expiry of a token that lives seconds', async () => {
    portal = await startDemo({ tokenLifetime: '20 seconds' });
    const cookie = await signIn(portal.url, 'demo', 'demo');
    const before = Date.now();
    const created = await clientFor(portal.url, withCookies(cookie)).create();
    const expected = before + 20000;
    expect(Math.abs(created.expires!.getTime() - expected)).toBeLessThan(2000);
  });
});
