/**
 * The SODAR client against the demo portal over real HTTP: every status of PORTALS.md's
 * SODAR section, the failures (5xx, 502, malformed JSON, hang, connection refused), and that
 * the password is used for one request and kept nowhere.
 *
 * The client's fetch is Node's own; where a test counts requests it wraps that fetch and
 * passes every call through. Nothing stands in for the portal.
 */
import { inspect } from 'node:util';
import type { IRunningPortal } from '../../../demo/src/server';
import { PortalRegistry } from '../registry';
import { SodarClient } from '../sodar';
import {
  armFault,
  clientMaker,
  closedPort,
  rejection,
  resetDemo,
  startDemo
} from './portal-helpers';

const HOUR = 60 * 60 * 1000;
const ALICE = { username: 'alice', password: 'alice-password' };

/** A fetch that passes every call to Node's and counts them. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    fetch: (input, init) => {
      calls++;
      return fetch(input, init);
    },
    calls: () => calls
  };
}

const clientFor = clientMaker(SodarClient, 'sodar', 'SODAR');

describe('SodarClient against the demo portal', () => {
  let portal: IRunningPortal;
  let base: string;
  let client: SodarClient;

  /** Whether SODAR's data route takes the token. */
  async function works(token: string): Promise<boolean> {
    const response = await fetch(new URL('project/api/list', base), {
      headers: {
        Authorization: `Token ${token}`,
        Accept: 'application/vnd.bihealth.sodar-core.projectroles+json'
      }
    });
    await response.body?.cancel();
    return response.status === 200;
  }

  beforeAll(async () => {
    portal = await startDemo({
      testHooks: true,
      users: [
        { id: 77, username: 'jörg', password: 'pässwörd-✓', name: 'Jörg' }
      ]
    });
    base = portal.sodarUrl;
    client = clientFor(base);
  });

  afterAll(async () => {
    await portal.close();
  });

  beforeEach(async () => {
    await resetDemo(portal.url);
  });

  it('declares what SODAR can do, and where people list and delete tokens', () => {
    expect(client.capabilities).toEqual({
      credentials: 'per-create',
      create: true,
      list: false,
      revoke: false,
      bulkRevoke: false,
      singleToken: false,
      replacesAll: true,
      label: true,
      labelMaxLength: 256,
      lifetime: true,
      zeroLifetime: 'never',
      needsPassword: true,
      types: []
    });
    expect(client.manageUrl).toBe(`${base}tokens/list`);
    expect(client.signInUrl).toBe(`${base}login`);
  });

  it('is registered under "sodar" with sodar-cli\'s variable names', async () => {
    const registry = new PortalRegistry();
    expect(registry.kinds).toContain('sodar');
    expect(registry.defaultEnvVars('sodar')).toEqual({
      token: 'SODAR_API_TOKEN',
      url: 'SODAR_SERVER_URL'
    });
    await registry.load(['sodar']);
    const made = registry.create({
      id: 's',
      kind: 'sodar',
      label: 'SODAR',
      url: base,
      envVars: {}
    });
    expect(made).toBeInstanceOf(SodarClient);
  });

  it('answers status without asking the portal', async () => {
    const counting = countingFetch();
    const status = await clientFor(base, counting.fetch).status();
    expect(status).toEqual({ signedIn: true, available: true, tokens: [] });
    expect(counting.calls()).toBe(0);
  });

  it('creates a working token that never expires by default, to the second', async () => {
    const before = Date.now();
    const created = await client.create({ ...ALICE });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.expires).toBeNull();
    expect(created.precision).toBe('second');
    expect(created.label).toBe('');
    expect(Math.abs(created.created!.getTime() - before)).toBeLessThan(5000);
    expect(await works(created.secret)).toBe(true);
  });

  it('sends the lifetime in hours and reads the expiry with its UTC offset', async () => {
    const before = Date.now();
    const created = await client.create({ ...ALICE, lifetimeHours: 10 });
    const after = Date.now();
    // The demo answers in Europe/Berlin time: a misread offset would be an hour or two off.
    expect(created.expires!.getTime()).toBeGreaterThanOrEqual(
      before + 10 * HOUR - 1000
    );
    expect(created.expires!.getTime()).toBeLessThanOrEqual(
      after + 10 * HOUR + 1000
    );
  });

  it('takes a lifetime of 0 as "never"', async () => {
    const created = await client.create({ ...ALICE, lifetimeHours: 0 });
    expect(created.expires).toBeNull();
  });

  it('returns the label as SODAR stored it', async () => {
    const created = await client.create({
      ...ALICE,
      label: 'JupyterLab <laptop> & "home"'
    });
    expect(created.label).toBe('JupyterLab <laptop> & "home"');
  });

  it('replaces every other token of the user', async () => {
    const first = await client.create({ ...ALICE });
    const second = await client.create({ ...ALICE });
    expect(await works(first.secret)).toBe(false);
    expect(await works(second.secret)).toBe(true);
  });

  it('signs in with a non-ASCII user name and password (UTF-8 Basic)', async () => {
    const created = await client.create({
      username: 'jörg',
      password: 'pässwörd-✓'
    });
    expect(await works(created.secret)).toBe(true);
  });

  it('fails with "bad-credentials" on 401, and the old token survives', async () => {
    const kept = await client.create({ ...ALICE });
    const error = await rejection(
      client.create({ username: 'alice', password: 'wrong' })
    );
    expect(error.reason).toBe('bad-credentials');
    expect(error.status).toBe(401);
    expect(error.portalMessage).toBe('Invalid username/password.');
    expect(await works(kept.secret)).toBe(true);
  });

  it('fails with "locked" on 403 once the account is locked out, even with the right password', async () => {
    for (let i = 0; i < 4; i++) {
      expect(
        (await rejection(client.create({ username: 'alice', password: 'x' })))
          .reason
      ).toBe('bad-credentials');
    }
    const fifth = await rejection(
      client.create({ username: 'alice', password: 'x' })
    );
    expect(fifth.reason).toBe('locked');
    expect(fifth.status).toBe(403);
    expect(fifth.portalMessage).toBe(
      'Account locked: too many login attempts.'
    );
    const right = await rejection(client.create({ ...ALICE }));
    expect(right.reason).toBe('locked');
  });

  it('fails with "invalid" on 400 and passes on SODAR\'s message', async () => {
    const kept = await client.create({ ...ALICE });
    const error = await rejection(
      client.create({ ...ALICE, label: 'z'.repeat(300) })
    );
    expect(error.reason).toBe('invalid');
    expect(error.status).toBe(400);
    expect(error.portalMessage).toBe(
      'Maximum sodar_label length of 256 exceeded (length=300)'
    );
    expect(await works(kept.secret)).toBe(true);
  });

  it('reads DRF field errors and details as the portal message', () => {
    expect(
      SodarClient.messageOf({ sodar_label: ['Too long.', 'Really.'] })
    ).toBe('Too long. Really.');
    expect(SodarClient.messageOf({ detail: 'Nope.' })).toBe('Nope.');
    expect(SodarClient.messageOf(['One.'])).toBe('One.');
    expect(SodarClient.messageOf(undefined)).toBeUndefined();
  });

  it('refuses a negative or fractional lifetime without asking the portal', async () => {
    const counting = countingFetch();
    const careful = clientFor(base, counting.fetch);
    for (const lifetimeHours of [-1, 1.5, NaN]) {
      const error = await rejection(
        careful.create({ ...ALICE, lifetimeHours })
      );
      expect(error.reason).toBe('invalid');
    }
    expect(counting.calls()).toBe(0);
  });

  it('needs a user name and a password, and sends nothing without them', async () => {
    const counting = countingFetch();
    const careful = clientFor(base, counting.fetch);
    for (const options of [
      {},
      { username: 'alice' },
      { password: 'alice-password' },
      { username: 'alice', password: '' }
    ]) {
      const error = await rejection(careful.create(options));
      expect(error.reason).toBe('bad-credentials');
    }
    expect(counting.calls()).toBe(0);
  });

  it('keeps no password: a second create without one fails before any request', async () => {
    const counting = countingFetch();
    const once = clientFor(base, counting.fetch);
    await once.create({ ...ALICE });
    expect(counting.calls()).toBe(1);
    const error = await rejection(once.create({ username: 'alice' }));
    expect(error.reason).toBe('bad-credentials');
    expect(counting.calls()).toBe(1);
    expect(inspect(once, { depth: 10, showHidden: true })).not.toContain(
      'alice-password'
    );
  });

  it('sends the password to the portal only, without cookies, never in the URL', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push({ url: String(input), init: init ?? {} });
      return fetch(input, init);
    };
    await clientFor(base, recording).create({ ...ALICE, label: 'x' });
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe(`${base}tokens/api/login`);
    expect(seen[0].url).not.toContain('alice-password');
    expect(seen[0].init.credentials).toBe('omit');
    expect(String(seen[0].init.body)).not.toContain('alice-password');
    const headers = seen[0].init.headers as Record<string, string>;
    expect(headers.Accept).toBe(
      'application/vnd.bihealth.sodar-core.tokens+json; version=1.0'
    );
  });

  it.each([500, 502, 503])(
    'reports %s (an HTML error page) as a server failure',
    async status => {
      await armFault(portal.url, {
        route: 'POST /sodar/tokens/api/login',
        status,
        times: 1
      });
      const error = await rejection(client.create({ ...ALICE }));
      expect(error.reason).toBe('server');
      expect(error.status).toBe(status);
      expect(error.portalMessage).toBeUndefined();
    }
  );

  it('reports a 406 (the portal wants another API version) as a bad response with its message', async () => {
    await armFault(portal.url, {
      route: 'POST /sodar/tokens/api/login',
      status: 406
    });
    const error = await rejection(client.create({ ...ALICE }));
    expect(error.reason).toBe('bad-response');
    expect(error.portalMessage).toBe(
      'Could not satisfy the request Accept header.'
    );
  });

  it('reports malformed JSON as a bad response', async () => {
    await armFault(portal.url, {
      route: 'POST /sodar/tokens/api/login',
      malformed: true
    });
    const error = await rejection(client.create({ ...ALICE }));
    expect(error.reason).toBe('bad-response');
  });

  it('gives up on a portal that hangs', async () => {
    await armFault(portal.url, {
      route: 'POST /sodar/tokens/api/login',
      hangMs: 3000
    });
    const impatient = clientFor(base, undefined, 300);
    const error = await rejection(impatient.create({ ...ALICE }));
    expect(error.reason).toBe('timeout');
  });

  it('reports a refused connection as a network failure', async () => {
    const port = await closedPort();
    const error = await rejection(
      clientFor(`http://127.0.0.1:${port}/sodar/`).create({ ...ALICE })
    );
    expect(error.reason).toBe('network');
  });

  it('does not offer revoking', async () => {
    await expect(client.revoke()).rejects.toThrow(/token page/);
  });

  it('gives sodar-cli its variables: the token and the server URL', () => {
    expect(client.environment('ab'.repeat(32))).toEqual({
      token: 'ab'.repeat(32),
      url: base
    });
  });
});

describe('SODAR dates (Python isoformat of an aware datetime)', () => {
  it('reads microseconds and offsets', () => {
    expect(
      SodarClient.parseDate('2026-11-20T16:04:05.123456+01:00')!.toISOString()
    ).toBe('2026-11-20T15:04:05.123Z');
    expect(
      SodarClient.parseDate('2026-07-01T02:00:00+02:00')!.toISOString()
    ).toBe('2026-07-01T00:00:00.000Z');
    expect(SodarClient.parseDate('2026-07-01T00:00:00Z')!.toISOString()).toBe(
      '2026-07-01T00:00:00.000Z'
    );
    expect(
      SodarClient.parseDate('2026-07-01T00:00:00-05:30')!.toISOString()
    ).toBe('2026-07-01T05:30:00.000Z');
  });

  it('refuses what is not such a date', () => {
    expect(SodarClient.parseDate('2026-07-01T00:00:00')).toBeNull();
    expect(SodarClient.parseDate('2026-02-30T00:00:00Z')).toBeNull();
    expect(SodarClient.parseDate('tomorrow')).toBeNull();
    expect(SodarClient.parseDate(17)).toBeNull();
  });
});
