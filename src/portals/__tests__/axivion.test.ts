/**
 * The Axivion client against the demo dashboard (`/axivion/` of the demo portal) over real
 * HTTP: the status codes the token API gives (200, 204, 400, 401, 403, 404), the CSRF retry,
 * bulk revoke, the password forgotten after create, and the failures (5xx, malformed JSON,
 * hang, connection refused).
 *
 * Node's fetch is wrapped only to record what went over the wire (method, path, the
 * authentication scheme, whether a CSRF header was sent); the dashboard is the real demo.
 */
import type { IRunningPortal } from '../../../demo/src/server';
import { showsSecret } from '../../__tests__/own-strings';
import { AxivionClient } from '../axivion';
import { PortalError } from '../errors';
import {
  armFault,
  clientMaker,
  closedPort,
  demoHook,
  rejection,
  resetDemo,
  startDemo
} from './portal-helpers';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

interface IWireRecord {
  method: string;
  path: string;
  /** `Basic`, `AxToken` or '' (never the credential itself). */
  scheme: string;
  csrf: boolean;
  credentials?: RequestCredentials;
}

function recording(log: IWireRecord[]): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    log.push({
      method: init.method ?? 'GET',
      path: new URL(String(input)).pathname,
      scheme: (headers.get('authorization') ?? '').split(' ')[0],
      csrf: headers.has('ax-csrf-token'),
      credentials: init.credentials
    });
    return fetch(input, init);
  };
}

const newClient = clientMaker(AxivionClient, 'axivion', 'Axivion');

function clientFor(
  base: string,
  options: { log?: IWireRecord[]; timeoutMs?: number } = {}
): AxivionClient {
  return newClient(
    base,
    options.log ? recording(options.log) : undefined,
    options.timeoutMs
  );
}

describe('AxivionClient against the demo dashboard', () => {
  let portal: IRunningPortal;
  let base: string;
  const alice = { username: 'alice', password: 'alice-password' };

  async function signedIn(
    options: { log?: IWireRecord[]; timeoutMs?: number } = {}
  ) {
    const client = clientFor(base, options);
    await client.signIn(alice);
    return client;
  }

  beforeAll(async () => {
    portal = await startDemo({ testHooks: true });
    base = portal.axivionUrl;
  });

  afterAll(async () => {
    await portal.close();
  });

  beforeEach(async () => {
    await resetDemo(portal.url);
  });

  it('declares what the dashboard can do and where people sign in', () => {
    const client = clientFor(base);
    expect(client.capabilities).toEqual(AxivionClient.CAPABILITIES);
    expect(client.capabilities.types).toEqual([
      'General',
      'IdePlugin',
      'ContinuousIntegration'
    ]);
    expect(client.capabilities.zeroLifetime).toBe('default');
    expect(client.signInUrl).toBe(base);
    expect(client.manageUrl).toBeUndefined();
  });

  it('is signed out before signing in, without asking the dashboard', async () => {
    const log: IWireRecord[] = [];
    const status = await clientFor(base, { log }).status();
    expect(status).toEqual({ signedIn: false, available: true, tokens: [] });
    expect(log).toEqual([]);
  });

  it('refuses a wrong password (401) as bad credentials and stays signed out', async () => {
    const client = clientFor(base);
    const error = await rejection(
      client.signIn({ username: 'alice', password: 'nope' })
    );
    expect(error.reason).toBe('bad-credentials');
    expect(error.status).toBe(401);
    expect((await client.status()).signedIn).toBe(false);
  });

  it('signs in with HTTP Basic, without cookies, and lists no tokens', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    expect(await client.status()).toEqual({
      signedIn: true,
      available: true,
      tokens: []
    });
    expect(log.map(r => [r.method, r.path, r.scheme])).toEqual([
      ['GET', '/axivion/', 'Basic'],
      ['GET', '/axivion/api/users/alice/tokens', 'Basic']
    ]);
    expect(log.every(r => r.credentials === 'omit')).toBe(true);
  });

  it('creates a token: secret, label, type, expiry, then lists it as the current one', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    const before = Date.now();
    const created = await client.create({
      label: 'notebook',
      type: 'IdePlugin',
      lifetimeHours: 3,
      password: alice.password
    });
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created).toEqual(
      expect.objectContaining({
        label: 'notebook',
        type: 'IdePlugin',
        valid: true,
        lastUsed: null,
        precision: 'second'
      })
    );
    expect(
      Math.abs(created.expires!.getTime() - (before + 3 * HOUR))
    ).toBeLessThan(5000);
    const post = log.find(r => r.method === 'POST')!;
    expect(post).toEqual(
      expect.objectContaining({ scheme: 'Basic', csrf: true })
    );

    const status = await client.status();
    expect(status.tokens).toHaveLength(1);
    const [listed] = status.tokens;
    expect(listed.id).toBe(created.id);
    expect(listed.label).toBe('notebook');
    // The client now authenticates with the new token: the dashboard says so, and used it.
    expect(listed.current).toBe(true);
    expect(listed.lastUsed).toBeInstanceOf(Date);
    expect(Math.abs(listed.lastUsed!.getTime() - Date.now())).toBeLessThan(
      5000
    );
  });

  it('forgets the password after create: every later request uses the token', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    expect(showsSecret(client, alice.password)).toBe(false);
    const { secret } = await client.create({ password: alice.password });
    expect(showsSecret(client, secret)).toBe(false);
    log.length = 0;
    await client.status();
    await client.create({ label: 'second', password: alice.password });
    await client.status();
    expect(log.length).toBeGreaterThanOrEqual(3);
    expect(log.every(r => r.scheme === 'AxToken')).toBe(true);
  });

  it('creates a General token with the dashboard default lifetime when none is given', async () => {
    const client = await signedIn();
    const before = Date.now();
    const created = await client.create({ password: alice.password });
    expect(created.type).toBe('General');
    expect(created.label).toBe('');
    expect(
      Math.abs(created.expires!.getTime() - (before + 90 * DAY))
    ).toBeLessThan(5000);
  });

  it('reports a wrong password on create as bad credentials and stays signed in', async () => {
    const client = await signedIn();
    const error = await rejection(client.create({ password: 'wrong' }));
    expect(error.reason).toBe('bad-credentials');
    expect(error.status).toBe(401);
    expect(error.portalMessage).toBe('The password is not correct.');
    expect((await client.status()).signedIn).toBe(true);
  });

  it('reports 400 as invalid with the dashboard message (negative lifetime, forbidden type)', async () => {
    const client = await signedIn();
    const negative = await rejection(
      client.create({ lifetimeHours: -1, password: alice.password })
    );
    expect(negative.reason).toBe('invalid');
    expect(negative.status).toBe(400);
    expect(negative.portalMessage).toBe('maxAgeMillis must not be negative.');
    const type = await rejection(
      client.create({ type: 'SourceFetch', password: alice.password })
    );
    expect(type.reason).toBe('invalid');
    expect(type.portalMessage).toMatch(/cannot be created/);
    expect((await client.status()).tokens).toEqual([]);
  });

  it('fetches a fresh CSRF token and retries once when the dashboard refuses an expired one', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    await demoHook(portal.url, 'axivion/expire-csrf', {});
    const created = await client.create({ password: alice.password });
    expect(created.secret).toBeTruthy();
    expect(log.map(r => `${r.method} ${r.path}`)).toEqual([
      'GET /axivion/',
      'POST /axivion/api/users/alice/tokens',
      'GET /axivion/',
      'POST /axivion/api/users/alice/tokens'
    ]);
    expect((await client.status()).tokens).toHaveLength(1);
  });

  it('retries a CSRF refusal only once, then reports it as forbidden (403)', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    await armFault(portal.url, {
      route: 'POST /axivion/api/users/{user}/tokens',
      status: 403,
      message: 'Invalid CSRF token.'
    });
    const error = await rejection(client.create({ password: alice.password }));
    expect(error.reason).toBe('forbidden');
    expect(error.status).toBe(403);
    expect(log.filter(r => r.method === 'POST')).toHaveLength(2);
  });

  it('does not retry a 403 that is not about CSRF', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    await armFault(portal.url, {
      route: 'DELETE /axivion/api/tokens/{id}',
      status: 403,
      message: 'You may only manage your own API tokens.'
    });
    const error = await rejection(client.revoke('some-id'));
    expect(error.reason).toBe('forbidden');
    expect(error.portalMessage).toBe(
      'You may only manage your own API tokens.'
    );
    expect(log.filter(r => r.method === 'DELETE')).toHaveLength(1);
  });

  it('revokes a token by id; it is gone from the list', async () => {
    const client = await signedIn();
    const a = await client.create({ label: 'a', password: alice.password });
    const b = await client.create({ label: 'b', password: alice.password });
    await client.revoke(a.id);
    const status = await client.status();
    expect(status.signedIn).toBe(true);
    expect(status.tokens.map(t => t.id)).toEqual([b.id]);
  });

  it('is signed out after revoking the token it authenticates with', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    const own = await client.create({ password: alice.password });
    await client.revoke(own.id);
    log.length = 0;
    expect(await client.status()).toEqual({
      signedIn: false,
      available: true,
      tokens: []
    });
    expect(log).toEqual([]);
    // The token really is gone.
    const response = await fetch(new URL('api/projects', base), {
      headers: { Authorization: `AxToken ${own.secret}` }
    });
    expect(response.status).toBe(401);
  });

  it('revokes several tokens in one bulk DELETE', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    const a = await client.create({ label: 'a', password: alice.password });
    const b = await client.create({ label: 'b', password: alice.password });
    const c = await client.create({ label: 'c', password: alice.password });
    await client.revokeMany([a.id!, b.id!]);
    expect((await client.status()).tokens.map(t => t.id)).toEqual([c.id]);
    const deletes = log.filter(r => r.method === 'DELETE');
    expect(deletes).toEqual([
      expect.objectContaining({ path: '/axivion/api/tokens', csrf: true })
    ]);
  });

  it('signs out when its token expires (401), and then asks nothing more', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    await client.create({ password: alice.password });
    await demoHook(portal.url, 'axivion/expire-token', { username: 'alice' });
    expect((await client.status()).signedIn).toBe(false);
    log.length = 0;
    expect((await client.status()).signedIn).toBe(false);
    expect(log).toEqual([]);
  });

  it('shows expired tokens as invalid while it is still signed in with the password', async () => {
    const client = await signedIn();
    // A token made elsewhere (e.g. by Axivion's IDE plugin), then expired.
    const other = clientFor(base);
    await other.signIn(alice);
    const made = await other.create({ password: alice.password });
    await demoHook(portal.url, 'axivion/expire-token', { id: made.id });
    const status = await client.status();
    expect(status.tokens).toEqual([
      expect.objectContaining({ id: made.id, valid: false, current: false })
    ]);
  });

  it('forgets everything on sign-out', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    client.signOut();
    log.length = 0;
    expect((await client.status()).signedIn).toBe(false);
    expect(log).toEqual([]);
    expect((await rejection(client.create({}))).reason).toBe('signed-out');
  });

  it('reports a dashboard without the API (404) as not found', async () => {
    const client = clientFor(`${portal.axivionUrl}api/nothing/`);
    const error = await rejection(client.signIn(alice));
    expect(error.reason).toBe('not-found');
    expect(error.status).toBe(404);
  });

  it.each([500, 502, 503])(
    'reports %i on the list as a server failure with the message',
    async status => {
      const client = await signedIn();
      await armFault(portal.url, {
        route: 'GET /axivion/api/users/{user}/tokens',
        status,
        times: 1
      });
      const error = await rejection(client.status());
      expect(error.reason).toBe('server');
      expect(error.status).toBe(status);
      expect(error.portalMessage).toEqual(expect.any(String));
      // The failure was one answer: the next call works.
      expect((await client.status()).signedIn).toBe(true);
    }
  );

  it('reports a 500 on create as a server failure and keeps the password', async () => {
    const log: IWireRecord[] = [];
    const client = await signedIn({ log });
    await armFault(portal.url, {
      route: 'POST /axivion/api/users/{user}/tokens',
      status: 500,
      times: 1
    });
    expect(
      (await rejection(client.create({ password: alice.password }))).reason
    ).toBe('server');
    await client.create({ password: alice.password });
    expect(log.filter(r => r.method === 'POST').map(r => r.scheme)).toEqual([
      'Basic',
      'Basic'
    ]);
  });

  it.each([
    ['the info document', 'GET /axivion/', 'signIn'],
    ['the list', 'GET /axivion/api/users/{user}/tokens', 'status'],
    ['the creation answer', 'POST /axivion/api/users/{user}/tokens', 'create']
  ])(
    'reports malformed JSON in %s as a bad response',
    async (_, route, call) => {
      const client = call === 'signIn' ? clientFor(base) : await signedIn();
      await armFault(portal.url, { route, malformed: true, times: 1 });
      const promise =
        call === 'signIn'
          ? client.signIn(alice)
          : call === 'status'
            ? client.status()
            : client.create({ password: alice.password });
      expect((await rejection(promise)).reason).toBe('bad-response');
    }
  );

  it('gives up on a dashboard that hangs', async () => {
    const client = await signedIn({ timeoutMs: 300 });
    await armFault(portal.url, {
      route: 'GET /axivion/api/users/{user}/tokens',
      hangMs: 3000,
      times: 1
    });
    expect((await rejection(client.status())).reason).toBe('timeout');
  });

  it('reports a refused connection as a network failure', async () => {
    const port = await closedPort();
    const error = await rejection(
      clientFor(`http://127.0.0.1:${port}/axivion/`).signIn(alice)
    );
    expect(error.reason).toBe('network');
  });

  it('gives the kernels the token as AXIVION_PASSWORD with the user name and the dashboard URL', async () => {
    const client = await signedIn();
    const created = await client.create({ password: alice.password });
    expect(client.environment(created.secret)).toEqual({
      token: created.secret,
      username: 'alice',
      url: base
    });
    // What a kernel does with them: HTTP Basic against the data route.
    const env = client.environment(created.secret);
    const basic = Buffer.from(`${env.username}:${env.token}`).toString(
      'base64'
    );
    const response = await fetch(new URL('api/projects', env.url), {
      headers: { Authorization: `Basic ${basic}` }
    });
    expect(response.status).toBe(200);
    const { projects } = await response.json();
    expect(projects.map((p: { name: string }) => p.name)).toContain(
      'demo-project'
    );
  });
});

describe('AxivionClient with a user name that needs escaping', () => {
  let portal: IRunningPortal;

  beforeAll(async () => {
    portal = await startDemo({
      users: [
        { id: 7, username: 'lab\\carol/x', password: 'pw', name: 'Carol' }
      ]
    });
  });

  afterAll(async () => {
    await portal.close();
  });

  it('manages the tokens of lab\\carol/x', async () => {
    const client = clientFor(portal.axivionUrl);
    await client.signIn({ username: 'lab\\carol/x', password: 'pw' });
    const created = await client.create({ label: 'odd', password: 'pw' });
    const status = await client.status();
    expect(status.tokens.map(t => t.id)).toEqual([created.id]);
    expect(AxivionClient.escapeUser('a:b/c\\d')).toBe('a:eb:sc:bd');
  });
});

describe('AxivionClient.parseTokenList', () => {
  const token = {
    id: 't1',
    url: '/axivion/api/tokens/t1',
    isValid: true,
    type: 'General',
    description: 'x',
    creationDate: '2026-11-01T10:00:00Z',
    displayCreationDate: '3 weeks ago',
    expirationDate: '2027-01-30T10:00:00Z',
    displayExpirationDate: '2 months from now',
    lastUseDate: null,
    displayLastUseDate: 'Never',
    usedByCurrentRequest: false
  };

  it('reads a bare array and an object holding one (the wrapper is unverified)', () => {
    const expected = [
      {
        id: 't1',
        label: 'x',
        type: 'General',
        created: new Date('2026-11-01T10:00:00Z'),
        expires: new Date('2027-01-30T10:00:00Z'),
        lastUsed: null,
        valid: true,
        current: false,
        precision: 'second'
      }
    ];
    expect(AxivionClient.parseTokenList([token])).toEqual(expected);
    expect(AxivionClient.parseTokenList({ tokens: [token] })).toEqual(expected);
    expect(AxivionClient.parseTokenList({ data: [token], count: 1 })).toEqual(
      expected
    );
  });

  it('refuses what is not a token list', () => {
    for (const json of [
      undefined,
      'x',
      { count: 1 },
      [{ description: 'no id' }]
    ]) {
      expect(() => AxivionClient.parseTokenList(json)).toThrow(PortalError);
    }
  });
});
