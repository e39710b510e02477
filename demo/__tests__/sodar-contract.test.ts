/**
 * The SODAR token API contract (PORTALS.md, SODAR section), over real HTTP.
 *
 * Runs against the demo portal in-process, or against a real SODAR: see sodar-target.ts.
 */
import {
  AGAINST_DEMO,
  basic,
  demoHook,
  ISodarTarget,
  listProjects,
  newToken,
  openSodar,
  parseIso,
  PROJECTS_MEDIA,
  tokenLogin,
  TOKENS_MEDIA
} from './sodar-target';

const TOKEN_FORMAT = /^[0-9a-f]{64}$/;
const UUID_FORMAT =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Python's `isoformat()` of an aware datetime: optional microseconds, always an offset. */
const ISO_FORMAT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const HOUR = 3600 * 1000;

/** Tests that need the demo's hooks, or would lock a real account out. */
const demoOnly = AGAINST_DEMO ? it : it.skip;

/**
 * Tests that send the test account's name with a wrong password. On a real SODAR each one
 * counts towards its lockout (and axes may never forget it), so they run there only with
 * `SODAR_CONTRACT_FAILED_LOGINS=1`.
 */
const failsLogin =
  AGAINST_DEMO || process.env.SODAR_CONTRACT_FAILED_LOGINS === '1'
    ? it
    : it.skip;

let target: ISodarTarget;

beforeAll(async () => {
  target = await openSodar();
});

afterAll(async () => {
  await target?.close();
});

afterEach(async () => {
  if (AGAINST_DEMO) {
    await demoHook(target, 'reset');
  }
});

/** The body of a DRF JSON answer, after checking the vendor media type. */
async function json(response: Response, media = TOKENS_MEDIA) {
  expect(response.headers.get('content-type')).toContain(media);
  return response.json();
}

/** A DRF error body: `{"detail": "…"}`. */
async function detail(response: Response, media = TOKENS_MEDIA) {
  const body = await json(response, media);
  expect(body).toEqual({ detail: expect.any(String) });
  expect(body.detail.length).toBeGreaterThan(0);
  return body.detail as string;
}

/** Whether the data route takes the token. */
async function works(token: string): Promise<boolean> {
  const response = await listProjects(target, `Token ${token}`);
  await response.body?.cancel();
  return response.status === 200;
}

describe('POST tokens/api/login', () => {
  it('answers 201 with every field: a 64-hex token, no expiry, an empty label, the user UUID', async () => {
    const response = await tokenLogin(target);
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual([
      'delete_count',
      'expiry',
      'sodar_label',
      'token',
      'user_uuid'
    ]);
    expect(body.token).toMatch(TOKEN_FORMAT);
    expect(Number.isInteger(body.delete_count)).toBe(true);
    expect(body.delete_count).toBeGreaterThanOrEqual(0);
    expect(body.expiry).toBeNull();
    expect(body.sodar_label).toBe('');
    expect(body.user_uuid).toMatch(UUID_FORMAT);
    expect(await works(body.token)).toBe(true);
  });

  it('gives the same user UUID every time and a new token every time', async () => {
    const first = await newToken(target);
    const second = await newToken(target);
    expect(second.user_uuid).toBe(first.user_uuid);
    expect(second.token).not.toBe(first.token);
  });

  it('deletes all other tokens of the user: delete_count, and the old token is refused', async () => {
    const first = await newToken(target);
    const second = await newToken(target);
    expect(second.delete_count).toBe(1);
    expect(await works(first.token)).toBe(false);
    expect(await works(second.token)).toBe(true);
  });

  it('sets an expiry in hours: an ISO datetime with an offset, that many hours ahead', async () => {
    const before = Date.now();
    const body = await newToken(target, { expiry: 10 });
    const after = Date.now();
    expect(body.expiry).toMatch(ISO_FORMAT);
    const expiry = parseIso(body.expiry as string).getTime();
    expect(expiry).toBeGreaterThanOrEqual(before + 10 * HOUR - 1000);
    expect(expiry).toBeLessThanOrEqual(after + 10 * HOUR + 1000);
    expect(await works(body.token)).toBe(true);
  });

  it('takes expiry 0 as "never": expiry null', async () => {
    const body = await newToken(target, { expiry: 0 });
    expect(body.expiry).toBeNull();
  });

  it('takes the expiry as a string of digits too (int())', async () => {
    const body = await newToken(target, { expiry: '2' });
    expect(body.expiry).toMatch(ISO_FORMAT);
  });

  it('stores and returns the label, up to 256 characters', async () => {
    const label = `JupyterLab ${'x'.repeat(245)}`;
    expect(label).toHaveLength(256);
    const body = await newToken(target, { sodar_label: label });
    expect(body.sodar_label).toBe(label);
    const unicode = await newToken(target, { sodar_label: 'Jüpyter – ✓' });
    expect(unicode.sodar_label).toBe('Jüpyter – ✓');
  });

  it('refuses a label over 256 characters with 400 and a message, and keeps the old token', async () => {
    const kept = await newToken(target);
    const response = await tokenLogin(target, {
      body: { sodar_label: 'y'.repeat(257) }
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    // A bare ValidationError: a list of messages.
    expect(body).toEqual([expect.stringContaining('256')]);
    expect(body[0]).toContain('257');
    // SODAR runs each request in a transaction: the deletion is rolled back.
    expect(await works(kept.token)).toBe(true);
  });

  failsLogin(
    'refuses a wrong password with 401, a detail and a Basic challenge, and keeps the token',
    async () => {
      const kept = await newToken(target);
      const response = await tokenLogin(target, {
        password: `${target.password}-wrong`
      });
      expect(response.status).toBe(401);
      expect(await detail(response)).toBe('Invalid username/password.');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await works(kept.token)).toBe(true);
    }
  );

  it('refuses an unknown user like a wrong password', async () => {
    const response = await tokenLogin(target, {
      username: 'no-such-user-here',
      password: 'whatever'
    });
    expect(response.status).toBe(401);
    expect(await detail(response)).toBe('Invalid username/password.');
  });

  demoOnly('refuses a request without credentials with 401', async () => {
    const response = await fetch(new URL('tokens/api/login', target.base), {
      method: 'POST',
      headers: { Accept: `${TOKENS_MEDIA}; version=1.0` }
    });
    expect(response.status).toBe(401);
    expect(await detail(response)).toBe(
      'Authentication credentials were not provided.'
    );
  });

  demoOnly(
    'locks the account after 5 failures: the 5th and every later attempt get 403, even with the right password',
    async () => {
      const kept = await newToken(target);
      const wrong = { password: 'wrong-password' };
      for (let i = 1; i <= 4; i++) {
        const response = await tokenLogin(target, wrong);
        expect(response.status).toBe(401);
        await response.body?.cancel();
      }
      const fifth = await tokenLogin(target, wrong);
      expect(fifth.status).toBe(403);
      expect(await detail(fifth)).toBe(
        'Account locked: too many login attempts.'
      );
      expect(fifth.headers.get('www-authenticate')).toBeNull();
      const right = await tokenLogin(target);
      expect(right.status).toBe(403);
      expect(await detail(right)).toBe(
        'Account locked: too many login attempts.'
      );
      // The lockout deletes nothing; other accounts are not affected.
      expect(await works(kept.token)).toBe(true);
      const other = await tokenLogin(target, {
        username: 'demo',
        password: 'demo'
      });
      expect(other.status).toBe(201);
      // reset() clears the lockout.
      await demoHook(target, 'reset');
      expect((await tokenLogin(target)).status).toBe(201);
    }
  );

  demoOnly('a successful login clears the failure count', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) {
        const response = await tokenLogin(target, { password: 'nope' });
        expect(response.status).toBe(401);
        await response.body?.cancel();
      }
      expect((await tokenLogin(target)).status).toBe(201);
    }
  });
});

describe('Accept header and versioning', () => {
  it('answers 201 without an Accept header (the default version)', async () => {
    const response = await tokenLogin(target, { accept: null });
    expect(response.status).toBe(201);
    expect((await response.json()).token).toMatch(TOKEN_FORMAT);
  });

  it('answers 201 to the media type without a version', async () => {
    const response = await tokenLogin(target, { accept: TOKENS_MEDIA });
    expect(response.status).toBe(201);
    await response.body?.cancel();
  });

  it('answers 201 with the versioned media type as content type', async () => {
    const response = await tokenLogin(target);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(
      /^application\/vnd\.bihealth\.sodar-core\.tokens\+json; ?version=1\.0$/
    );
    await response.body?.cancel();
  });

  it('refuses an unknown version with 406 and deletes nothing', async () => {
    const kept = await newToken(target);
    const response = await tokenLogin(target, {
      accept: `${TOKENS_MEDIA}; version=2.0`
    });
    expect(response.status).toBe(406);
    expect(await detail(response)).toBe('Invalid version in "Accept" header.');
    expect(await works(kept.token)).toBe(true);
  });

  failsLogin('answers 406 before looking at the password', async () => {
    const wrong = await tokenLogin(target, {
      accept: `${TOKENS_MEDIA}; version=9.9`,
      password: 'wrong-password'
    });
    expect(wrong.status).toBe(406);
    await wrong.body?.cancel();
  });

  it('refuses plain application/json with 406', async () => {
    const response = await tokenLogin(target, { accept: 'application/json' });
    expect(response.status).toBe(406);
    expect(await detail(response)).toBe(
      'Could not satisfy the request Accept header.'
    );
  });
});

describe('GET project/api/list with a token', () => {
  async function refused(response: Response): Promise<string> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeTruthy();
    return detail(response, PROJECTS_MEDIA);
  }

  it('answers 200 with a JSON list for a fresh token', async () => {
    const { token } = await newToken(target);
    const response = await listProjects(target, `Token ${token}`);
    expect(response.status).toBe(200);
    expect(Array.isArray(await json(response, PROJECTS_MEDIA))).toBe(true);
  });

  it.each(['token', 'Token', 'TOKEN', 'tOkEn'])(
    'takes the keyword in any case: %s',
    async keyword => {
      const { token } = await newToken(target);
      const response = await listProjects(target, `${keyword} ${token}`);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
  );

  it('refuses a request without a token', async () => {
    expect(await refused(await listProjects(target))).toBe(
      'Authentication credentials were not provided.'
    );
  });

  it('does not take the token under another keyword', async () => {
    const { token } = await newToken(target);
    expect(await refused(await listProjects(target, `Bearer ${token}`))).toBe(
      'Authentication credentials were not provided.'
    );
  });

  it('refuses an unknown token with "Invalid token."', async () => {
    await newToken(target);
    expect(
      await refused(await listProjects(target, `Token ${'0'.repeat(64)}`))
    ).toBe('Invalid token.');
    expect(await refused(await listProjects(target, 'Token not-a-token'))).toBe(
      'Invalid token.'
    );
  });

  it('refuses a token with the right prefix but a wrong rest', async () => {
    const { token } = await newToken(target);
    const forged = `${token.slice(0, 15)}${'f'.repeat(49)}`;
    expect(forged).not.toBe(token);
    expect(await refused(await listProjects(target, `Token ${forged}`))).toBe(
      'Invalid token.'
    );
  });

  it('refuses a token deleted by a later login', async () => {
    const { token } = await newToken(target);
    await newToken(target);
    expect(await refused(await listProjects(target, `Token ${token}`))).toBe(
      'Invalid token.'
    );
  });

  it('refuses malformed token headers', async () => {
    expect(await refused(await listProjects(target, 'Token'))).toBe(
      'Invalid token header. No credentials provided.'
    );
    expect(await refused(await listProjects(target, 'Token a b'))).toBe(
      'Invalid token header. Token string should not contain spaces.'
    );
  });

  demoOnly(
    'challenges with Basic (DRF names the first authentication class)',
    async () => {
      const response = await listProjects(target);
      expect(response.headers.get('www-authenticate')).toBe(
        'Basic realm="api"'
      );
      await response.body?.cancel();
    }
  );

  demoOnly('refuses an expired token, and keeps refusing it', async () => {
    const { token } = await newToken(target, { expiry: 5 });
    expect(await works(token)).toBe(true);
    const expired = await demoHook(target, 'sodar/expire-token', {
      username: target.username
    });
    expect(expired.status).toBe(200);
    expect(await expired.json()).toEqual({ expired: 1 });
    expect(await refused(await listProjects(target, `Token ${token}`))).toBe(
      'Invalid token.'
    );
    // knox deleted it on use: the hook finds nothing left to expire.
    const again = await demoHook(target, 'sodar/expire-token', {
      username: target.username
    });
    expect(again.status).toBe(404);
  });

  it('answers the versions sodar-cli and newer clients ask for', async () => {
    const { token } = await newToken(target);
    for (const version of ['1.0', '2.0']) {
      const response = await listProjects(
        target,
        `Token ${token}`,
        `${PROJECTS_MEDIA}; version=${version}`
      );
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const wrong = await listProjects(
      target,
      `Token ${token}`,
      `${PROJECTS_MEDIA}; version=0.1`
    );
    expect(wrong.status).toBe(406);
    await wrong.body?.cancel();
  });
});

describe('UTF-8 credentials', () => {
  let unicode: ISodarTarget;

  beforeAll(async () => {
    if (AGAINST_DEMO) {
      unicode = await openSodar({
        users: [
          {
            id: 77,
            username: 'jörg',
            password: 'pässwörd-✓',
            name: 'Jörg Ünicode'
          }
        ]
      });
    }
  });

  afterAll(async () => {
    await unicode?.close();
  });

  demoOnly('accepts a non-ASCII user name and password in Basic', async () => {
    const response = await fetch(new URL('tokens/api/login', unicode.base), {
      method: 'POST',
      headers: {
        Authorization: basic('jörg', 'pässwörd-✓'),
        Accept: `${TOKENS_MEDIA}; version=1.0`
      }
    });
    expect(response.status).toBe(201);
    await response.body?.cancel();
  });
});
