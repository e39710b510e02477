/**
 * The demo SODAR beyond the API contract: the people's pages (sign-in, token list, create,
 * delete), HTML escaping, cookies, the test hooks, faults on SODAR routes, and logging.
 */
import { startPortal } from '../src/server';
import { browser, cookieHeader, useDemoPortal } from './demo-portal';
import { basic, TOKENS_ACCEPT } from './sodar-target';

const portal = useDemoPortal({ testHooks: true });
const { lines } = portal;
const browse = browser({
  get url() {
    return portal.sodarOrigin;
  }
});

afterEach(async () => {
  await fetch(new URL('__demo__/reset', portal.url), { method: 'POST' });
});

async function signInAs(username: string, password: string) {
  const response = await browse('sodar/login', {
    form: { username, password }
  });
  expect(response.status).toBe(303);
  return cookieHeader(response);
}

function apiLogin(body: Record<string, unknown> = {}, password = 'demo') {
  return fetch(new URL('sodar/tokens/api/login', portal.sodarOrigin), {
    method: 'POST',
    headers: {
      Authorization: basic('demo', password),
      Accept: TOKENS_ACCEPT,
      'Content-Type': 'application/json'
    },
    body: JSON.stringify(body)
  });
}

async function works(token: string): Promise<boolean> {
  const response = await fetch(
    new URL('sodar/project/api/list', portal.sodarOrigin),
    {
      headers: { Authorization: `Token ${token}` }
    }
  );
  await response.body?.cancel();
  return response.status === 200;
}

describe('sign-in page', () => {
  it('offers labelled fields and a Log in button posting to /sodar/login', async () => {
    const response = await browse('sodar/login');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<form method="post" action="\/sodar\/login">/);
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<button type="submit">Log in<\/button>/);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie for /sodar/ only', async () => {
    const response = await browse('sodar/login', {
      form: { username: 'demo', password: 'demo' }
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/sodar/');
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^sodar_sessionid=[^;]+/);
    expect(cookie).toMatch(/;\s*Path=\/sodar\//);
    expect(cookie).toMatch(/;\s*HttpOnly/);
    expect(cookie).toMatch(/;\s*SameSite=Lax/);
  });

  it('shows an alert after a wrong password and keeps the escaped user name', async () => {
    const response = await browse('sodar/login', {
      form: { username: '<b>demo</b>', password: 'nope' }
    });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    const html = await response.text();
    expect(html).toMatch(/role="alert">Please enter a correct username/);
    expect(html).toContain('value="&lt;b&gt;demo&lt;/b&gt;"');
    expect(html).not.toContain('<b>demo</b>');
  });

  it('shares the lockout with the API: locked after 5 failures, on both', async () => {
    for (let i = 0; i < 4; i++) {
      const response = await apiLogin({}, 'wrong');
      expect(response.status).toBe(401);
      await response.body?.cancel();
    }
    const page = await browse('sodar/login', {
      form: { username: 'demo', password: 'wrong' }
    });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain(
      'Account locked: too many login attempts.'
    );
    const right = await browse('sodar/login', {
      form: { username: 'demo', password: 'demo' }
    });
    expect(right.status).toBe(403);
    await right.body?.cancel();
    const api = await apiLogin();
    expect(api.status).toBe(403);
    await api.body?.cancel();
  });

  it('goes on to ?next= within the portal only', async () => {
    const response = await browse('sodar/login', {
      form: {
        username: 'demo',
        password: 'demo',
        next: '/sodar/tokens/list'
      }
    });
    expect(response.headers.get('location')).toBe('/sodar/tokens/list');
    const evil = await browse('sodar/login', {
      form: { username: 'demo', password: 'demo', next: '//evil.example' }
    });
    expect(evil.headers.get('location')).toBe('/sodar/');
  });

  it('logs out: the session no longer opens the token list', async () => {
    const cookie = await signInAs('demo', 'demo');
    const out = await browse('sodar/logout', { cookie, form: {} });
    expect(out.status).toBe(303);
    const after = await browse('sodar/tokens/list', { cookie });
    expect(after.status).toBe(302);
  });
});

describe('token list', () => {
  it('sends a stranger to the sign-in page and back', async () => {
    const response = await browse('sodar/tokens/list');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      '/sodar/login?next=%2Fsodar%2Ftokens%2Flist'
    );
    const home = await browse('sodar/');
    expect(home.headers.get('location')).toBe('/sodar/login');
  });

  it('lists API tokens with created, expiry, key prefix and escaped label', async () => {
    const created = await (
      await apiLogin({ expiry: 3, sodar_label: '<script>alert(1)</script>' })
    ).json();
    const cookie = await signInAs('demo', 'demo');
    const html = await (await browse('sodar/tokens/list', { cookie })).text();
    expect(html).toContain(`<code>${created.token.slice(0, 15)}</code>`);
    expect(html).not.toContain(created.token);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC<\/td>/);
    expect(html).toContain(
      `aria-label="Delete token ${created.token.slice(0, 15)}"`
    );
  });

  it('creates tokens that add to the others, shows the secret once, then the API login deletes them all', async () => {
    const cookie = await signInAs('demo', 'demo');
    const first = await browse('sodar/tokens/create', {
      cookie,
      form: { sodar_label: 'laptop', ttl: '0' }
    });
    expect(first.status).toBe(200);
    const firstHtml = await first.text();
    const secret = /aria-label="New API token">([0-9a-f]{64})</.exec(
      firstHtml
    )?.[1];
    expect(secret).toBeDefined();
    await (
      await browse('sodar/tokens/create', {
        cookie,
        form: { sodar_label: 'desktop', ttl: '5' }
      })
    ).body?.cancel();
    const list = await (await browse('sodar/tokens/list', { cookie })).text();
    expect(list).not.toContain(secret);
    expect(list).toContain('<td>laptop</td>');
    expect(list).toContain('<td>desktop</td>');
    expect(list).toContain('<td>Never</td>');
    expect(await works(secret as string)).toBe(true);

    const body = await (await apiLogin()).json();
    expect(body.delete_count).toBe(2);
    expect(await works(secret as string)).toBe(false);
  });

  it('refuses a label over 256 characters or a bad expiry on the page', async () => {
    const cookie = await signInAs('demo', 'demo');
    for (const form of [
      { sodar_label: 'l'.repeat(257), ttl: '0' },
      { sodar_label: '', ttl: '-1' },
      { sodar_label: '', ttl: 'soon' }
    ]) {
      const response = await browse('sodar/tokens/create', { cookie, form });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/role="alert"/);
    }
  });

  it('deletes a token "elsewhere": the API no longer takes it', async () => {
    const created = await (await apiLogin()).json();
    const cookie = await signInAs('demo', 'demo');
    const html = await (await browse('sodar/tokens/list', { cookie })).text();
    const action = /action="(\/sodar\/tokens\/delete\/\d+)"/.exec(html)?.[1];
    expect(action).toBeDefined();
    const deleted = await browse((action as string).slice(1), {
      cookie,
      form: {}
    });
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toContain('You have no API tokens.');
    expect(await works(created.token)).toBe(false);
  });

  it("cannot delete another user's token", async () => {
    const created = await (await apiLogin()).json();
    const demoCookie = await signInAs('demo', 'demo');
    const html = await (
      await browse('sodar/tokens/list', { cookie: demoCookie })
    ).text();
    const action = /action="(\/sodar\/tokens\/delete\/\d+)"/.exec(html)?.[1];
    const alice = await signInAs('alice', 'alice-password');
    const response = await browse((action as string).slice(1), {
      cookie: alice,
      form: {}
    });
    expect(response.status).toBe(404);
    await response.body?.cancel();
    expect(await works(created.token)).toBe(true);
  });
});

describe('test hooks and faults on SODAR routes', () => {
  it('expire-token answers 404 for an unknown user or a user without tokens', async () => {
    for (const username of ['nobody', 'demo']) {
      const response = await fetch(
        new URL('__demo__/sodar/expire-token', portal.url),
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username })
        }
      );
      expect(response.status).toBe(404);
      await response.body?.cancel();
    }
  });

  it('reset forgets tokens', async () => {
    const created = await (await apiLogin()).json();
    await fetch(new URL('__demo__/reset', portal.url), { method: 'POST' });
    expect(await works(created.token)).toBe(false);
  });

  it('a 500 fault answers an HTML error page and creates nothing', async () => {
    const kept = await (await apiLogin()).json();
    await fetch(new URL('__demo__/faults', portal.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        route: 'POST /sodar/tokens/api/login',
        status: 500,
        times: 1
      })
    });
    const failed = await apiLogin();
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await failed.text()).toContain('Server Error (500)');
    expect(await works(kept.token)).toBe(true);
    // Used up: the next login works.
    expect((await apiLogin()).status).toBe(201);
  });

  it("a 4xx fault answers DRF's detail body", async () => {
    await fetch(new URL('__demo__/faults', portal.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        route: 'GET /sodar/project/api/list',
        status: 429
      })
    });
    const response = await fetch(
      new URL('sodar/project/api/list', portal.sodarOrigin)
    );
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({
      detail: 'Request was throttled.'
    });
  });

  it('a malformed fault on the login answers 201 with truncated JSON', async () => {
    await fetch(new URL('__demo__/faults', portal.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        route: 'POST /sodar/tokens/api/login',
        malformed: true
      })
    });
    const response = await apiLogin();
    expect(response.status).toBe(201);
    await expect(response.json()).rejects.toThrow();
  });

  it('has no test hooks without testHooks', async () => {
    const plain = await startPortal({
      port: 0,
      jupyter: false,
      logger: 'silent'
    });
    try {
      const response = await fetch(
        new URL('__demo__/sodar/expire-token', plain.url),
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'demo' })
        }
      );
      expect(response.status).toBe(404);
      await response.body?.cancel();
    } finally {
      await plain.close();
    }
  });
});

describe('the API answers like DRF to odd requests', () => {
  it('answers 405 with Allow for a GET on the login route', async () => {
    const response = await fetch(
      new URL('sodar/tokens/api/login', portal.sodarOrigin)
    );
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await response.json()).toEqual({
      detail: 'Method "GET" not allowed.'
    });
  });

  it('answers 400 for broken JSON and 500 for a non-integer expiry, deleting nothing', async () => {
    const kept = await (await apiLogin()).json();
    const broken = await fetch(
      new URL('sodar/tokens/api/login', portal.sodarOrigin),
      {
        method: 'POST',
        headers: {
          Authorization: basic('demo', 'demo'),
          'Content-Type': 'application/json'
        },
        body: '{"expiry": '
      }
    );
    expect(broken.status).toBe(400);
    expect((await broken.json()).detail).toMatch(/^JSON parse error - /);
    const soon = await apiLogin({ expiry: 'soon' });
    expect(soon.status).toBe(500);
    await soon.body?.cancel();
    expect(await works(kept.token)).toBe(true);
  });

  it('takes form-encoded fields like DRF', async () => {
    const response = await fetch(
      new URL('sodar/tokens/api/login', portal.sodarOrigin),
      {
        method: 'POST',
        headers: {
          Authorization: basic('demo', 'demo'),
          'Content-Type': 'application/x-www-form-urlencoded'
        },
        body: 'expiry=1&sodar_label=form'
      }
    );
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body.sodar_label).toBe('form');
    expect(body.expiry).not.toBeNull();
  });
});

describe('logging', () => {
  it('logs request lines only: never a password, a token or a Basic header', async () => {
    lines.length = 0;
    const created = await (
      await apiLogin({ sodar_label: 'secret-label' })
    ).json();
    await works(created.token);
    await signInAs('demo', 'demo');
    const log = lines.join('\n');
    expect(lines).toContain('POST /sodar/tokens/api/login 201');
    expect(lines).toContain('GET /sodar/project/api/list 200');
    expect(log).not.toContain(created.token);
    expect(log).not.toContain(created.token.slice(0, 15));
    expect(log).not.toContain(basic('demo', 'demo').slice(6));
    expect(log).not.toContain('secret-label');
  });
});
