/**
 * The XDMoD token API contract (PORTALS.md, XDMoD section), over real HTTP.
 *
 * Runs against the demo portal in-process, or against a real portal: see xdmod-client.ts.
 */
import {
  AGAINST_DEMO,
  armFault,
  call,
  clearFaults,
  cookiesOf,
  errorBody,
  IContractTarget,
  ISignedIn,
  openTarget,
  revokeIfAny,
  signIn
} from './xdmod-client';

const TOKEN_PATH = 'users/current/api/token';
const TOKEN_FORMAT = /^[0-9]+\.[0-9a-f]{64}$/;
const XDMOD_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Tests that need the demo's hooks or clock. */
const demoOnly = AGAINST_DEMO ? it : it.skip;

let target: IContractTarget;
let session: ISignedIn;

beforeAll(async () => {
  target = await openTarget();
  session = await signIn(target);
});

afterAll(async () => {
  if (session) {
    await revokeIfAny(target, session);
  }
  await target?.close();
});

beforeEach(async () => {
  await revokeIfAny(target, session);
});

async function json(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
}

describe('sign-in', () => {
  it('opens a session with HTTP Basic', async () => {
    const fresh = await signIn(target);
    expect(fresh.token).toEqual(expect.any(String));
    expect(fresh.token.length).toBeGreaterThan(0);
    expect(Object.keys(fresh.cookies)).toEqual(
      expect.arrayContaining(['xdmod_token', 'PHPSESSID'])
    );
  });

  it('answers with the session token and the full name', async () => {
    const basic = Buffer.from(`${target.username}:${target.password}`);
    const response = await call(target, 'POST', 'rest/auth/login', {
      headers: { Authorization: `Basic ${basic.toString('base64')}` }
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      success: true,
      results: expect.objectContaining({
        token: expect.any(String),
        name: expect.any(String)
      })
    });
  });

  demoOnly('names the demo account', async () => {
    const response = await call(target, 'POST', 'rest/auth/login', {
      body: new URLSearchParams({
        username: 'demo',
        password: 'demo'
      }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
    });
    expect((await json(response)).results.name).toBe('Demo User');
  });

  it('opens a session with username and password form fields', async () => {
    const response = await call(target, 'POST', 'rest/auth/login', {
      body: new URLSearchParams({
        username: target.username,
        password: target.password
      }).toString(),
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json'
      }
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.success).toBe(true);
    const cookies = cookiesOf(response);
    const get = await call(target, 'GET', `rest/${TOKEN_PATH}`, { cookies });
    expect(get.status).toBe(404);
  });

  demoOnly('accepts the fields as JSON too', async () => {
    const response = await call(target, 'POST', 'rest/v1/auth/login', {
      body: { username: target.username, password: target.password }
    });
    expect(response.status).toBe(200);
    expect((await json(response)).results.token).toEqual(expect.any(String));
  });

  it('refuses a wrong password with 401 and the error body', async () => {
    const basic = Buffer.from(`${target.username}:not-the-password`);
    const response = await call(target, 'POST', 'rest/auth/login', {
      headers: {
        Authorization: `Basic ${basic.toString('base64')}`,
        Accept: 'application/json'
      }
    });
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual(errorBody());
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  demoOnly(
    'sets httpOnly cookies without SameSite (and no Secure on plain http)',
    async () => {
      const fresh = await signIn(target);
      for (const name of ['xdmod_token', 'PHPSESSID']) {
        const header = fresh.setCookie.find(h => h.startsWith(`${name}=`));
        expect(header).toBeDefined();
        expect(header).toMatch(/;\s*HttpOnly/i);
        expect(header).not.toMatch(/SameSite/i);
        expect(header).not.toMatch(/;\s*Secure/i);
      }
    }
  );

  it('closes the session on logout', async () => {
    const fresh = await signIn(target);
    const out = await call(target, 'POST', 'rest/auth/logout', {
      cookies: fresh.cookies,
      headers: { Accept: 'application/json' }
    });
    expect(out.status).toBe(200);
    expect((await json(out)).success).toBe(true);
    const after = await call(target, 'GET', `rest/${TOKEN_PATH}`, {
      cookies: fresh.cookies
    });
    expect(after.status).toBe(401);
    expect(await json(after)).toEqual(errorBody());
  });
});

describe.each(['rest', 'rest/v1'])('token routes under /%s', prefix => {
  const path = `${prefix}/${TOKEN_PATH}`;

  it('GET answers 404 "API token not found." without a token', async () => {
    const response = await call(target, 'GET', path, {
      cookies: session.cookies
    });
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual(errorBody('API token not found.'));
  });

  it('POST creates a token shown once, then GET describes it', async () => {
    const created = await call(target, 'POST', path, {
      cookies: session.cookies
    });
    expect(created.status).toBe(200);
    const body = await json(created);
    expect(body).toEqual({
      success: true,
      data: {
        token: expect.stringMatching(TOKEN_FORMAT),
        expiration_date: expect.stringMatching(XDMOD_DATE)
      }
    });
    if (target.userId !== undefined) {
      expect(body.data.token.split('.')[0]).toBe(String(target.userId));
    }

    const described = await call(target, 'GET', path, {
      cookies: session.cookies
    });
    expect(described.status).toBe(200);
    const info = await json(described);
    expect(info).toEqual({
      success: true,
      data: {
        created_on: expect.stringMatching(XDMOD_DATE),
        expiration_date: body.data.expiration_date
      }
    });
    expect(JSON.stringify(info)).not.toContain(body.data.token.split('.')[1]);
  });

  it('POST answers 409 "Token already exists." for a second token', async () => {
    const first = await call(target, 'POST', path, {
      cookies: session.cookies
    });
    expect(first.status).toBe(200);
    const second = await call(target, 'POST', path, {
      cookies: session.cookies
    });
    expect(second.status).toBe(409);
    expect(await json(second)).toEqual(errorBody('Token already exists.'));
  });

  it('DELETE revokes, then answers 404', async () => {
    await call(target, 'POST', path, { cookies: session.cookies });
    const revoked = await call(target, 'DELETE', path, {
      cookies: session.cookies
    });
    expect(revoked.status).toBe(200);
    expect(await json(revoked)).toEqual({
      success: true,
      message: 'Token successfully revoked.'
    });
    const again = await call(target, 'DELETE', path, {
      cookies: session.cookies
    });
    expect(again.status).toBe(404);
    expect(await json(again)).toEqual(errorBody('API token not found.'));
  });

  it.each(['GET', 'POST', 'DELETE'])(
    '%s answers 401 with the error body when not signed in',
    async method => {
      const response = await call(target, method, path);
      expect(response.status).toBe(401);
      const body = await json(response);
      expect(body).toEqual(errorBody());
      expect(body.message.length).toBeGreaterThan(0);
    }
  );
});

describe('session authentication of the token routes', () => {
  const path = `rest/v1/${TOKEN_PATH}`;

  it('accepts the session token in a Token header with the PHP session cookie', async () => {
    const response = await call(target, 'GET', path, {
      cookies: { PHPSESSID: session.cookies.PHPSESSID },
      headers: { Token: session.token }
    });
    expect(response.status).toBe(404);
  });

  it('accepts the session token as a token query parameter with the PHP session cookie', async () => {
    const response = await call(
      target,
      'POST',
      `${path}?token=${encodeURIComponent(session.token)}`,
      { cookies: { PHPSESSID: session.cookies.PHPSESSID } }
    );
    expect(response.status).toBe(200);
  });

  it('refuses the session token without the PHP session cookie', async () => {
    const header = await call(target, 'GET', path, {
      headers: { Token: session.token }
    });
    expect(header.status).toBe(401);
    const cookie = await call(target, 'GET', path, {
      cookies: { xdmod_token: session.cookies.xdmod_token }
    });
    expect(cookie.status).toBe(401);
  });

  it('refuses the PHP session cookie alone', async () => {
    const response = await call(target, 'GET', path, {
      cookies: { PHPSESSID: session.cookies.PHPSESSID }
    });
    expect(response.status).toBe(401);
  });

  it('never accepts an API token for token management', async () => {
    const created = await json(
      await call(target, 'POST', path, { cookies: session.cookies })
    );
    const response = await call(target, 'GET', path, {
      headers: { Authorization: `Bearer ${created.data.token}` }
    });
    expect(response.status).toBe(401);
  });
});

describe('dates', () => {
  /** The fields of an XDMoD date; `minute` holds the month number (PHP `Y-m-d H:m:s`). */
  function fields(text: string) {
    const match = XDMOD_DATE.exec(text);
    expect(match).not.toBeNull();
    const [, year, month, day, hour, minute, second] = (match ?? []).map(
      Number
    );
    return { year, month, day, hour, minute, second };
  }

  function local(date: Date) {
    return {
      year: date.getFullYear(),
      month: date.getMonth() + 1,
      day: date.getDate(),
      hour: date.getHours()
    };
  }

  it('puts the month number in the minutes field', async () => {
    const created = await json(
      await call(target, 'POST', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      })
    );
    const info = await json(
      await call(target, 'GET', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      })
    );
    for (const text of [
      created.data.expiration_date,
      info.data.created_on,
      info.data.expiration_date
    ]) {
      const date = fields(text);
      expect(date.minute).toBe(date.month);
      expect(date.second).toBeLessThan(60);
    }
  });

  demoOnly(
    'has the right date and hour (local time), six months ahead by default',
    async () => {
      const before = new Date();
      const created = await json(
        await call(target, 'POST', `rest/${TOKEN_PATH}`, {
          cookies: session.cookies
        })
      );
      const after = new Date();
      const info = await json(
        await call(target, 'GET', `rest/${TOKEN_PATH}`, {
          cookies: session.cookies
        })
      );
      const sixMonths = (date: Date) => {
        const shifted = new Date(date.getTime());
        shifted.setMonth(shifted.getMonth() + 6);
        return shifted;
      };
      const createdOn = fields(info.data.created_on);
      const expires = fields(created.data.expiration_date);
      // Either side of the request, in case it straddles an hour.
      expect([local(before), local(after)]).toContainEqual({
        year: createdOn.year,
        month: createdOn.month,
        day: createdOn.day,
        hour: createdOn.hour
      });
      expect([
        local(sixMonths(before)),
        local(sixMonths(after))
      ]).toContainEqual({
        year: expires.year,
        month: expires.month,
        day: expires.day,
        hour: expires.hour
      });
    }
  );
});

describe.each([
  'rest/v1/warehouse/resources',
  'rest/warehouse/resources',
  'rest/v1/warehouse/raw-data'
])('data route %s', path => {
  async function expectRefused(response: Response, message: string) {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await json(response)).toEqual(errorBody(message));
  }

  async function newToken(): Promise<string> {
    const body = await json(
      await call(target, 'POST', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      })
    );
    return body.data.token;
  }

  it('answers 200 with JSON for a good token in the Authorization header', async () => {
    const token = await newToken();
    const response = await call(target, 'GET', path, {
      headers: { Authorization: `Bearer ${token}` }
    });
    expect(response.status).toBe(200);
    await json(response);
  });

  it('accepts the token as a Bearer query parameter', async () => {
    const token = await newToken();
    const response = await call(
      target,
      'GET',
      `${path}?Bearer=${encodeURIComponent(token)}`
    );
    expect(response.status).toBe(200);
  });

  it('refuses a revoked token with "Invalid token."', async () => {
    const token = await newToken();
    await revokeIfAny(target, session);
    await expectRefused(
      await call(target, 'GET', path, {
        headers: { Authorization: `Bearer ${token}` }
      }),
      'Invalid token.'
    );
  });

  it('refuses a garbage token with "Invalid token."', async () => {
    await newToken();
    await expectRefused(
      await call(target, 'GET', path, {
        headers: { Authorization: 'Bearer not-a-token' }
      }),
      'Invalid token.'
    );
    await expectRefused(
      await call(target, 'GET', path, {
        headers: {
          Authorization: `Bearer ${target.userId ?? 1}.${'0'.repeat(64)}`
        }
      }),
      'Invalid token.'
    );
  });

  it('refuses a request without a token with "No token provided."', async () => {
    await expectRefused(await call(target, 'GET', path), 'No token provided.');
  });

  it('does not take the portal session as a token', async () => {
    await expectRefused(
      await call(target, 'GET', path, { cookies: session.cookies }),
      'No token provided.'
    );
  });
});

describe('CORS', () => {
  const path = `rest/v1/${TOKEN_PATH}`;
  const withOrigin = AGAINST_DEMO || process.env.XDMOD_CONTRACT_CORS_ORIGIN;
  const itListed = withOrigin ? it : it.skip;

  itListed(
    'answers a listed origin with credentials and no methods',
    async () => {
      const origin = target.corsOrigin as string;
      const response = await call(target, 'GET', path, {
        cookies: session.cookies,
        headers: { Origin: origin }
      });
      expect(response.status).toBe(404);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBe(
        'true'
      );
      expect(response.headers.get('access-control-allow-headers')).toBe(
        'x-requested-with, content-type'
      );
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
    }
  );

  itListed('answers a DELETE preflight without Allow-Methods', async () => {
    const origin = target.corsOrigin as string;
    const response = await call(target, 'OPTIONS', path, {
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'DELETE'
      }
    });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('sends no CORS headers to an unlisted origin', async () => {
    const origin = 'http://unlisted.example.com';
    for (const method of ['GET', 'OPTIONS']) {
      const response = await call(target, method, path, {
        cookies: session.cookies,
        headers: { Origin: origin, 'Access-Control-Request-Method': 'DELETE' }
      });
      await response.body?.cancel();
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(
        response.headers.get('access-control-allow-credentials')
      ).toBeNull();
    }
  });
});

describe('failures from the demo test hooks', () => {
  afterEach(async () => {
    if (AGAINST_DEMO) {
      await clearFaults(target);
    }
  });

  demoOnly(
    'DELETE can fail with 500 "Unable to revoke API token."',
    async () => {
      await call(target, 'POST', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      });
      await armFault(target, {
        route: 'DELETE /rest/users/current/api/token',
        status: 500,
        times: 1
      });
      const failed = await call(target, 'DELETE', `rest/v1/${TOKEN_PATH}`, {
        cookies: session.cookies
      });
      expect(failed.status).toBe(500);
      expect(await json(failed)).toEqual(
        errorBody('Unable to revoke API token.')
      );
      // The token survived the failure; the next attempt succeeds.
      const still = await call(target, 'GET', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      });
      expect(still.status).toBe(200);
      const retried = await call(target, 'DELETE', `rest/${TOKEN_PATH}`, {
        cookies: session.cookies
      });
      expect(retried.status).toBe(200);
    }
  );
});

describe('expiry', () => {
  let short: IContractTarget;
  let shortSession: ISignedIn;

  beforeAll(async () => {
    if (AGAINST_DEMO) {
      short = await openTarget({ tokenLifetime: '1 second' });
      shortSession = await signIn(short);
    }
  });

  afterAll(async () => {
    await short?.close();
  });

  demoOnly(
    'an expired token is refused with "Token has expired." and still blocks creation',
    async () => {
      const created = await json(
        await call(short, 'POST', `rest/v1/${TOKEN_PATH}`, {
          cookies: shortSession.cookies
        })
      );
      const auth = { Authorization: `Bearer ${created.data.token}` };
      const fresh = await call(short, 'GET', 'rest/v1/warehouse/resources', {
        headers: auth
      });
      expect(fresh.status).toBe(200);

      await new Promise(resolve => setTimeout(resolve, 1500));

      const expired = await call(short, 'GET', 'rest/v1/warehouse/resources', {
        headers: auth
      });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toBe('Bearer');
      expect(await json(expired)).toEqual(errorBody('Token has expired.'));

      // Still listed, still blocking: the client must DELETE first.
      const info = await call(short, 'GET', `rest/${TOKEN_PATH}`, {
        cookies: shortSession.cookies
      });
      expect(info.status).toBe(200);
      const again = await call(short, 'POST', `rest/${TOKEN_PATH}`, {
        cookies: shortSession.cookies
      });
      expect(again.status).toBe(409);
      expect(await json(again)).toEqual(errorBody('Token already exists.'));

      const revoked = await call(short, 'DELETE', `rest/${TOKEN_PATH}`, {
        cookies: shortSession.cookies
      });
      expect(revoked.status).toBe(200);
      const renewed = await call(short, 'POST', `rest/${TOKEN_PATH}`, {
        cookies: shortSession.cookies
      });
      expect(renewed.status).toBe(200);
    }
  );
});
