/**
 * The demo's Axivion module beyond the contract: its log lines, faults, test hooks and routing.
 */
import { escapeAxivionUser, unescapeAxivionUser } from '../src/axivion';
import { useDemoPortal } from './demo-portal';

const portal = useDemoPortal({ testHooks: true });
const { lines } = portal;
const PASSWORD = 'alice-password';
const BASIC = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;

afterEach(async () => {
  await fetch(new URL('__demo__/reset', portal.url), { method: 'POST' });
  lines.length = 0;
});

function url(path: string): URL {
  return new URL(path, portal.url);
}

/** A path of the dashboard, on its own origin. */
function axivionUrl(path: string): URL {
  return new URL(path, portal.axivionOrigin);
}

async function info(authorization = BASIC) {
  const response = await fetch(axivionUrl('axivion/api'), {
    headers: { Authorization: authorization }
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function createToken(description = 'demo test') {
  const { csrfToken } = await info();
  const response = await fetch(axivionUrl('axivion/api/users/alice/tokens'), {
    method: 'POST',
    headers: {
      Authorization: BASIC,
      'AX-CSRF-Token': csrfToken,
      'Content-Type': 'application/json'
    },
    body: JSON.stringify({
      password: PASSWORD,
      type: 'General',
      description,
      maxAgeMillis: 0
    })
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function hook(path: string, body: unknown) {
  return fetch(url(`__demo__/${path}`), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
}

it('logs request lines only: no password, token or CSRF token', async () => {
  const created = await createToken();
  const { csrfToken } = await info(`AxToken ${created.token}`);
  const data = await fetch(axivionUrl('axivion/api/projects'), {
    headers: {
      Authorization: `Basic ${Buffer.from(`alice:${created.token}`).toString('base64')}`
    }
  });
  expect(data.status).toBe(200);
  const deleted = await fetch(
    axivionUrl(`axivion/api/tokens/${encodeURIComponent(created.id)}`),
    {
      method: 'DELETE',
      headers: { Authorization: BASIC, 'AX-CSRF-Token': csrfToken }
    }
  );
  expect(deleted.status).toBe(204);
  expect(lines).toEqual([
    'GET /axivion/api 200',
    'POST /axivion/api/users/alice/tokens 200',
    'GET /axivion/api 200',
    'GET /axivion/api/projects 200',
    `DELETE /axivion/api/tokens/${created.id} 204`
  ]);
  for (const line of lines) {
    for (const secret of [PASSWORD, created.token, csrfToken]) {
      expect(line).not.toContain(secret);
    }
  }
});

describe('faults', () => {
  it('cover every user and every token id of a route, in either spelling', async () => {
    for (const route of [
      'GET /axivion/api/users/{user}/tokens',
      'GET /axivion/api/users/alice/tokens'
    ]) {
      expect((await hook('faults', { route, status: 502, times: 1 })).ok).toBe(
        true
      );
      const response = await fetch(
        axivionUrl('axivion/api/users/alice/tokens'),
        {
          headers: { Authorization: BASIC }
        }
      );
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual(
        expect.objectContaining({
          type: 'ServerException',
          message: 'Bad Gateway'
        })
      );
    }
    await hook('faults', {
      route: 'GET /axivion/api/tokens/{id}',
      status: 500,
      message: 'Database unavailable'
    });
    const response = await fetch(axivionUrl('axivion/api/tokens/anything'), {
      headers: { Authorization: BASIC }
    });
    expect(response.status).toBe(500);
    expect((await response.json()).message).toBe('Database unavailable');
  });

  it('answer malformed JSON, and hang before running the route', async () => {
    await hook('faults', {
      route: 'GET /axivion/api',
      malformed: true,
      times: 1
    });
    const malformed = await fetch(axivionUrl('axivion/api'), {
      headers: { Authorization: BASIC }
    });
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow();

    await hook('faults', { route: 'GET /axivion/', hangMs: 300, times: 1 });
    const started = Date.now();
    const slow = await fetch(axivionUrl('axivion/'), {
      headers: { Authorization: BASIC, Accept: 'application/json' }
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(slow.status).toBe(200);
    expect((await slow.json()).username).toBe('alice');
  });
});

describe('test hooks', () => {
  it('expire-token needs a user name or an id, and says when nothing expired', async () => {
    expect((await hook('axivion/expire-token', {})).status).toBe(400);
    const none = await hook('axivion/expire-token', { username: 'alice' });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ expired: 0 });
  });

  it('expire-csrf makes every CSRF token handed out so far expire', async () => {
    const { csrfToken } = await info();
    expect((await hook('axivion/expire-csrf', {})).status).toBe(200);
    const response = await fetch(axivionUrl('axivion/api/tokens'), {
      method: 'DELETE',
      headers: {
        Authorization: BASIC,
        'AX-CSRF-Token': csrfToken,
        'Content-Type': 'application/json'
      },
      body: '[]'
    });
    expect(response.status).toBe(403);
    expect((await response.json()).message).toMatch(/expired/);
  });

  it('reset forgets every token', async () => {
    const created = await createToken();
    await fetch(url('__demo__/reset'), { method: 'POST' });
    const list = await fetch(axivionUrl('axivion/api/users/alice/tokens'), {
      headers: { Authorization: BASIC }
    });
    expect(await list.json()).toEqual([]);
    const refused = await fetch(axivionUrl('axivion/api/projects'), {
      headers: { Authorization: `AxToken ${created.token}` }
    });
    expect(refused.status).toBe(401);
  });
});

describe('routing', () => {
  it('sends /axivion to /axivion/', async () => {
    const response = await fetch(axivionUrl('axivion'), {
      redirect: 'manual'
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/axivion/');
  });

  it('answers unknown routes with 404 and wrong methods with 405, as error bodies', async () => {
    const missing = await fetch(axivionUrl('axivion/api/nothing'), {
      headers: { Authorization: BASIC }
    });
    expect(missing.status).toBe(404);
    expect((await missing.json()).type).toBe('NotFoundException');
    const method = await fetch(axivionUrl('axivion/api/projects'), {
      method: 'PUT',
      headers: { Authorization: BASIC }
    });
    expect(method.status).toBe(405);
    await method.body?.cancel();
  });

  it('leaves XDMoD to its own origin', async () => {
    const response = await fetch(url('rest/users/current/api/token'));
    expect(response.status).toBe(401);
    expect((await response.json()).message).toBe('Session Expired');
    const elsewhere = await fetch(axivionUrl('rest/users/current/api/token'));
    expect(elsewhere.status).toBe(404);
    await elsewhere.body?.cancel();
  });
});

describe('{user} escaping', () => {
  it.each([
    ['alice', 'alice'],
    ['a:b', 'a:eb'],
    ['dom/x', 'dom:sx'],
    ['dom\\x', 'dom:bx'],
    [':e/\\', ':ee:s:b']
  ])('escapes %j as %j and back', (plain, escaped) => {
    expect(escapeAxivionUser(plain)).toBe(escaped);
    expect(unescapeAxivionUser(escaped)).toBe(plain);
  });

  it.each(['a:', 'a:x', 'a/b', 'a\\b'])('refuses the malformed %j', escaped => {
    expect(unescapeAxivionUser(escaped)).toBeNull();
  });
});
