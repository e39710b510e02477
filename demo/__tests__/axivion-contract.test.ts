/**
 * The Axivion Dashboard token API contract (PORTALS.md, Axivion section; the seed's
 * `ApiTokenInfo` and `ApiTokenCreationRequest`), over real HTTP.
 *
 * Runs against the demo portal in-process, or against a real dashboard: see axivion-target.ts.
 */
import {
  AGAINST_DEMO,
  Auth,
  basic,
  call,
  CSRF_HEADER,
  dashboardInfo,
  demoHook,
  IAxivionTarget,
  openTarget,
  passwordAuth,
  tokenList,
  tokensPath,
  TokenJanitor,
  userSegment
} from './axivion-target';

/** Tests that need the demo's hooks, accounts or settings. */
const demoOnly = AGAINST_DEMO ? it : it.skip;

const HOUR = 60 * 60 * 1000;
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A second account of the demo, and one whose name needs escaping (no ":" in it: HTTP Basic
 * cannot carry a user name with a colon).
 */
const OTHER = { username: 'demo', password: 'demo' };
const ODD = { username: 'dom\\carol/lab', password: 'odd-password' };

let target: IAxivionTarget;
let janitor: TokenJanitor;

beforeAll(async () => {
  target = await openTarget({
    users: [{ id: 77, name: 'Carol Odd', ...ODD }]
  });
  janitor = new TokenJanitor(target);
});

afterEach(async () => {
  await janitor.cleanUp();
});

afterAll(async () => {
  await target?.close();
});

async function json(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
}

/** The dashboard's error body: a type and a message. */
async function expectError(response: Response, status: number) {
  expect(response.status).toBe(status);
  const body = await json(response);
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      message: expect.any(String)
    })
  );
  return body;
}

/**
 * A CSRF refusal: 403 with `InvalidCsrfTokenException` from the demo; a real dashboard's
 * status is unverified, so there any client error other than 401 counts.
 */
async function expectCsrfRefusal(response: Response, message?: RegExp) {
  if (AGAINST_DEMO) {
    const body = await expectError(response, 403);
    expect(body.type).toBe('InvalidCsrfTokenException');
    if (message) {
      expect(body.message).toMatch(message);
    }
  } else {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.status).not.toBe(401);
    await response.body?.cancel();
  }
}

async function list(auth: Auth = passwordAuth(target)) {
  const response = await call(target, 'GET', tokensPath(target.username), {
    auth
  });
  expect(response.status).toBe(200);
  return tokenList(await json(response));
}

async function csrf(
  auth: Auth = passwordAuth(target),
  dashboard: IAxivionTarget = target
): Promise<string> {
  return (await dashboardInfo(dashboard, auth)).csrfToken;
}

function expectTokenInfo(info: Record<string, any>) {
  expect(info).toEqual(
    expect.objectContaining({
      id: expect.any(String),
      url: expect.any(String),
      isValid: expect.any(Boolean),
      type: expect.any(String),
      description: expect.any(String),
      creationDate: expect.stringMatching(ISO_DATE),
      displayCreationDate: expect.any(String),
      expirationDate: expect.stringMatching(ISO_DATE),
      displayExpirationDate: expect.any(String),
      displayLastUseDate: expect.any(String),
      usedByCurrentRequest: expect.any(Boolean)
    })
  );
  expect(info.lastUseDate === null || ISO_DATE.test(info.lastUseDate)).toBe(
    true
  );
}

describe('the dashboard info document', () => {
  it('answers the base URL with JSON: user, CSRF token and header, token URL, version', async () => {
    const response = await call(target, 'GET', '', {
      auth: passwordAuth(target)
    });
    expect(response.status).toBe(200);
    const info = await json(response);
    expect(info.username).toBe(target.username);
    expect(info.csrfToken).toEqual(expect.any(String));
    expect(info.csrfToken.length).toBeGreaterThan(10);
    expect(info.csrfTokenHeader ?? CSRF_HEADER).toBe(CSRF_HEADER);
    expect(info.dashboardVersion).toEqual(expect.any(String));
    // The token URL is relative: it resolves against the base URL to the user's list.
    expect(new URL(info.userApiTokenUrl, target.base).href).toBe(
      new URL(tokensPath(target.username), target.base).href
    );
  });

  it('answers under api too', async () => {
    const response = await call(target, 'GET', 'api', {
      auth: passwordAuth(target)
    });
    expect(response.status).toBe(200);
    expect((await json(response)).username).toBe(target.username);
  });

  it('serves a page to a browser', async () => {
    const response = await fetch(target.base, {
      headers: { Accept: 'text/html,application/xhtml+xml' }
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/Axivion/);
  });

  it('refuses a request without credentials with 401 and the error body', async () => {
    await expectError(await call(target, 'GET', ''), 401);
  });

  it('refuses a wrong password with 401', async () => {
    await expectError(
      await call(target, 'GET', '', {
        auth: basic(target.username, 'not-the-password')
      }),
      401
    );
  });

  demoOnly(
    'never asks the browser for a password (no WWW-Authenticate: Basic)',
    async () => {
      for (const auth of [undefined, basic(target.username, 'wrong')]) {
        const response = await call(target, 'GET', 'api', { auth });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBeNull();
        await response.body?.cancel();
      }
    }
  );
});

describe('creating tokens', () => {
  it.each(['General', 'IdePlugin', 'ContinuousIntegration'])(
    'creates a %s token: 200 or 201, every ApiTokenInfo field, the secret only here',
    async type => {
      const before = Date.now();
      const response = await janitor.createResponse({
        type,
        description: `contract ${type}`
      });
      expect([200, 201]).toContain(response.status);
      const created = await json(response);
      expectTokenInfo(created);
      expect(created).toEqual(
        expect.objectContaining({
          type,
          description: `contract ${type}`,
          isValid: true,
          lastUseDate: null,
          token: expect.any(String)
        })
      );
      expect(created.token.length).toBeGreaterThanOrEqual(20);
      const createdAt = Date.parse(created.creationDate);
      expect(Math.abs(createdAt - before)).toBeLessThan(60_000);
      expect(new URL(created.url, target.base).pathname).toBe(
        new URL(`api/tokens/${encodeURIComponent(created.id)}`, target.base)
          .pathname
      );

      // Listed and described without the secret.
      const listed = (await list()).find(t => t.id === created.id);
      expect(listed).toBeDefined();
      expectTokenInfo(listed!);
      expect(listed!.token ?? null).toBeNull();
      const described = await call(
        target,
        'GET',
        `api/tokens/${encodeURIComponent(created.id)}`,
        { auth: passwordAuth(target) }
      );
      expect(described.status).toBe(200);
      const info = await json(described);
      expectTokenInfo(info);
      expect(info.token ?? null).toBeNull();
      expect(info.description).toBe(`contract ${type}`);
      expect(info.expirationDate).toBe(created.expirationDate);
    }
  );

  it.each(['SourceFetch', 'LogIn', 'NoSuchType'])(
    'refuses to create a %s token with 400',
    async type => {
      const before = (await list()).length;
      await expectError(await janitor.createResponse({ type }), 400);
      expect((await list()).length).toBe(before);
    }
  );

  it('gives maxAgeMillis: 0 the server default, and honours a positive one', async () => {
    const byDefault = await janitor.create({ maxAgeMillis: 0 });
    const defaultAge =
      Date.parse(byDefault.expirationDate) - Date.parse(byDefault.creationDate);
    expect(defaultAge).toBeGreaterThan(HOUR);
    if (AGAINST_DEMO) {
      expect(defaultAge).toBe(90 * 24 * HOUR);
    }
    const twoHours = await janitor.create({ maxAgeMillis: 2 * HOUR });
    const age =
      Date.parse(twoHours.expirationDate) - Date.parse(twoHours.creationDate);
    expect(Math.abs(age - 2 * HOUR)).toBeLessThan(5000);
  });

  it('refuses a negative maxAgeMillis with 400', async () => {
    const body = await expectError(
      await janitor.createResponse({ maxAgeMillis: -1 }),
      400
    );
    if (AGAINST_DEMO) {
      expect(body.message).toMatch(/negative/);
    }
  });

  it('refuses a wrong password and creates nothing', async () => {
    const before = (await list()).length;
    const response = await janitor.createResponse({ password: 'wrong' });
    if (AGAINST_DEMO) {
      const body = await expectError(response, 401);
      expect(body.type).toBe('PasswordVerificationException');
      expect(body.data).toEqual({ passwordMayBeUsedAsApiToken: false });
    } else {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      await response.body?.cancel();
    }
    expect((await list()).length).toBe(before);
  });

  demoOnly(
    'hints when the "password" given is one of the user\'s API tokens',
    async () => {
      const first = await janitor.create();
      const response = await janitor.createResponse({ password: first.token });
      const body = await expectError(response, 401);
      expect(body.data).toEqual({ passwordMayBeUsedAsApiToken: true });
    }
  );

  it('can be done while authenticated with an API token', async () => {
    const first = await janitor.create();
    const second = await janitor.create(
      { description: 'made with a token' },
      { axToken: first.token }
    );
    expect(second.description).toBe('made with a token');
    expect(second.id).not.toBe(first.id);
  });
});

describe('authenticating with a token', () => {
  it('accepts HTTP Basic with the user name and the token, and AxToken', async () => {
    const created = await janitor.create();
    for (const auth of [
      basic(target.username, created.token),
      { axToken: created.token }
    ]) {
      const response = await call(target, 'GET', 'api/projects', { auth });
      expect(response.status).toBe(200);
      await json(response);
    }
  });

  it('refuses the token under another user name, and a garbage token', async () => {
    const created = await janitor.create();
    for (const auth of [
      basic('no-such-user-for-sure', created.token),
      { axToken: 'not-a-token' },
      basic(target.username, 'not-a-token')
    ]) {
      await expectError(
        await call(target, 'GET', 'api/projects', { auth }),
        401
      );
    }
  });

  it('sets lastUseDate when a token authenticates a request', async () => {
    const created = await janitor.create();
    const unused = (await list()).find(t => t.id === created.id)!;
    expect(unused.lastUseDate).toBeNull();
    if (AGAINST_DEMO) {
      expect(unused.displayLastUseDate).toBe('Never');
    }
    const before = Date.now();
    const used = await call(target, 'GET', 'api/projects', {
      auth: { axToken: created.token }
    });
    expect(used.status).toBe(200);
    await used.body?.cancel();
    const after = (await list()).find(t => t.id === created.id)!;
    expect(after.lastUseDate).toMatch(ISO_DATE);
    expect(Math.abs(Date.parse(after.lastUseDate) - before)).toBeLessThan(
      60_000
    );
  });

  it('marks the token that authenticates the request: usedByCurrentRequest', async () => {
    const a = await janitor.create({ description: 'a' });
    const b = await janitor.create({ description: 'b' });
    const withA = await list({ axToken: a.token });
    expect(withA.find(t => t.id === a.id)!.usedByCurrentRequest).toBe(true);
    expect(withA.find(t => t.id === b.id)!.usedByCurrentRequest).toBe(false);
    const withPassword = await list();
    expect(withPassword.filter(t => t.usedByCurrentRequest)).toEqual([]);
  });
});

describe('CSRF', () => {
  it('refuses a creation without the CSRF header, and creates nothing', async () => {
    const before = (await list()).length;
    const response = await call(target, 'POST', tokensPath(target.username), {
      auth: passwordAuth(target),
      body: {
        password: target.password,
        type: 'General',
        description: 'no csrf',
        maxAgeMillis: 0
      }
    });
    await expectCsrfRefusal(response, /Missing/);
    expect((await list()).length).toBe(before);
  });

  it('refuses a wrong CSRF token', async () => {
    const token = await csrf();
    const response = await call(target, 'POST', tokensPath(target.username), {
      auth: passwordAuth(target),
      csrf: `${token.slice(0, -2)}xx`,
      body: {
        password: target.password,
        type: 'General',
        description: 'bad csrf',
        maxAgeMillis: 0
      }
    });
    await expectCsrfRefusal(response, /Invalid/);
  });

  it('refuses a DELETE without the CSRF header; the token survives', async () => {
    const created = await janitor.create();
    const path = `api/tokens/${encodeURIComponent(created.id)}`;
    await expectCsrfRefusal(
      await call(target, 'DELETE', path, { auth: passwordAuth(target) })
    );
    await expectCsrfRefusal(
      await call(target, 'DELETE', 'api/tokens', {
        auth: passwordAuth(target),
        body: [created.id]
      })
    );
    const still = await call(target, 'GET', path, {
      auth: passwordAuth(target)
    });
    expect(still.status).toBe(200);
    expect((await json(still)).isValid).toBe(true);
  });

  it('takes a CSRF token fetched with a token for requests made with it', async () => {
    const created = await janitor.create();
    const auth = { axToken: created.token };
    const token = await csrf(auth);
    const second = await janitor.createResponse({}, auth);
    expect([200, 201]).toContain(second.status);
    await second.body?.cancel();
    const response = await call(
      target,
      'DELETE',
      `api/tokens/${encodeURIComponent(created.id)}`,
      { auth, csrf: token }
    );
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
  });

  demoOnly("refuses another user's CSRF token", async () => {
    const otherCsrf = await csrf(basic(OTHER.username, OTHER.password));
    const response = await call(target, 'POST', tokensPath(target.username), {
      auth: passwordAuth(target),
      csrf: otherCsrf,
      body: {
        password: target.password,
        type: 'General',
        description: 'other csrf',
        maxAgeMillis: 0
      }
    });
    await expectCsrfRefusal(response, /Invalid/);
  });

  demoOnly('refuses an expired CSRF token', async () => {
    const short = await openTarget({ axivion: { csrfLifetimeMs: 300 } });
    try {
      const token = await csrf(passwordAuth(short), short);
      await new Promise(resolve => setTimeout(resolve, 400));
      const body = {
        password: short.password,
        type: 'General',
        description: 'late',
        maxAgeMillis: 0
      };
      const late = await call(short, 'POST', tokensPath(short.username), {
        auth: passwordAuth(short),
        csrf: token,
        body
      });
      await expectCsrfRefusal(late, /expired/);
      // A fresh one from the info document works.
      const fresh = await call(short, 'POST', tokensPath(short.username), {
        auth: passwordAuth(short),
        csrf: await csrf(passwordAuth(short), short),
        body
      });
      expect(fresh.status).toBe(200);
      await fresh.body?.cancel();
    } finally {
      await short.close();
    }
  });
});

describe('the {user} part of the path', () => {
  it("refuses another user's token list", async () => {
    const response = await call(target, 'GET', tokensPath('someone-else'), {
      auth: passwordAuth(target)
    });
    if (AGAINST_DEMO) {
      await expectError(response, 403);
    } else {
      expect([403, 404]).toContain(response.status);
      await response.body?.cancel();
    }
  });

  demoOnly(
    'escapes "/" as ":s" and "\\" as ":b" before percent-encoding',
    async () => {
      const odd = { ...target, ...ODD };
      const auth = basic(ODD.username, ODD.password);
      const info = await dashboardInfo(odd, auth);
      expect(info.username).toBe(ODD.username);
      expect(info.userApiTokenUrl).toBe(
        `/axivion/api/users/${encodeURIComponent('dom:bcarol:slab')}/tokens`
      );
      expect(userSegment(ODD.username)).toBe(
        encodeURIComponent('dom:bcarol:slab')
      );
      const oddJanitor = new TokenJanitor(odd);
      try {
        const created = await oddJanitor.create();
        const listed = await call(odd, 'GET', tokensPath(ODD.username), {
          auth
        });
        expect(listed.status).toBe(200);
        expect(tokenList(await json(listed)).map(t => t.id)).toEqual([
          created.id
        ]);
      } finally {
        await oddJanitor.cleanUp();
      }
      // Percent-encoding alone is not enough: "/" and "\\" must be escaped.
      const unescaped = await call(
        odd,
        'GET',
        `api/users/${encodeURIComponent(ODD.username)}/tokens`,
        { auth }
      );
      expect([400, 403]).toContain(unescaped.status);
      await unescaped.body?.cancel();
    }
  );
});

demoOnly('refuses a malformed escape in {user} with 400', async () => {
  const response = await call(target, 'GET', 'api/users/ali:zce/tokens', {
    auth: passwordAuth(target)
  });
  await expectError(response, 400);
});

describe('deleting tokens', () => {
  it('deletes one token: gone from the list, unknown by id, no longer accepted', async () => {
    const created = await janitor.create();
    const path = `api/tokens/${encodeURIComponent(created.id)}`;
    const deleted = await call(target, 'DELETE', path, {
      auth: passwordAuth(target),
      csrf: await csrf()
    });
    expect(deleted.status).toBeGreaterThanOrEqual(200);
    expect(deleted.status).toBeLessThan(300);
    await deleted.body?.cancel();
    expect((await list()).map(t => t.id)).not.toContain(created.id);
    await expectError(
      await call(target, 'GET', path, { auth: passwordAuth(target) }),
      404
    );
    await expectError(
      await call(target, 'GET', 'api/projects', {
        auth: { axToken: created.token }
      }),
      401
    );
  });

  it('gives no word on whether the token existed', async () => {
    const response = await call(target, 'DELETE', 'api/tokens/no-such-token', {
      auth: passwordAuth(target),
      csrf: await csrf()
    });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
  });

  it('bulk-deletes a JSON array of ids, skipping unknown ones', async () => {
    const a = await janitor.create({ description: 'a' });
    const b = await janitor.create({ description: 'b' });
    const c = await janitor.create({ description: 'c' });
    const response = await call(target, 'DELETE', 'api/tokens', {
      auth: passwordAuth(target),
      csrf: await csrf(),
      body: [a.id, 'no-such-token', b.id]
    });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    const ids = (await list()).map(t => t.id);
    expect(ids).not.toContain(a.id);
    expect(ids).not.toContain(b.id);
    expect(ids).toContain(c.id);
  });

  demoOnly('refuses a bulk body that is not an array of ids', async () => {
    await expectError(
      await call(target, 'DELETE', 'api/tokens', {
        auth: passwordAuth(target),
        csrf: await csrf(),
        body: { ids: ['x'] }
      }),
      400
    );
  });

  demoOnly(
    "leaves other users' tokens alone, one by one and in bulk",
    async () => {
      const other = { ...target, ...OTHER };
      const otherJanitor = new TokenJanitor(other);
      try {
        const theirs = await otherJanitor.create();
        const path = `api/tokens/${encodeURIComponent(theirs.id)}`;
        // Not even visible to alice.
        await expectError(
          await call(target, 'GET', path, { auth: passwordAuth(target) }),
          404
        );
        for (const [method, p, body] of [
          ['DELETE', path, undefined],
          ['DELETE', 'api/tokens', [theirs.id]]
        ] as const) {
          const response = await call(target, method, p, {
            auth: passwordAuth(target),
            csrf: await csrf(),
            body
          });
          expect(response.status).toBe(204);
        }
        const still = await call(other, 'GET', 'api/projects', {
          auth: { axToken: theirs.token }
        });
        expect(still.status).toBe(200);
        await still.body?.cancel();
      } finally {
        await otherJanitor.cleanUp();
      }
    }
  );
});

describe('expired tokens are tombstones', () => {
  demoOnly(
    'an expired token is listed with isValid false and cannot authenticate',
    async () => {
      const created = await janitor.create();
      const kept = await janitor.create({ description: 'kept' });
      const hook = await demoHook(target, 'axivion/expire-token', {
        id: created.id
      });
      expect(hook.status).toBe(200);
      expect(await hook.json()).toEqual({ expired: 1 });

      const listed = await list();
      expect(listed.find(t => t.id === created.id)!.isValid).toBe(false);
      expect(listed.find(t => t.id === kept.id)!.isValid).toBe(true);
      const described = await call(
        target,
        'GET',
        `api/tokens/${encodeURIComponent(created.id)}`,
        { auth: passwordAuth(target) }
      );
      expect((await json(described)).isValid).toBe(false);
      for (const auth of [
        { axToken: created.token },
        basic(target.username, created.token)
      ]) {
        await expectError(
          await call(target, 'GET', 'api/projects', { auth }),
          401
        );
      }
    }
  );

  demoOnly('expires every token of a user by name', async () => {
    await janitor.create();
    await janitor.create();
    const hook = await demoHook(target, 'axivion/expire-token', {
      username: target.username
    });
    expect(await hook.json()).toEqual({ expired: 2 });
    expect((await list()).every(t => t.isValid === false)).toBe(true);
  });
});

describe('the data route a kernel calls', () => {
  it('answers JSON with the token as AXIVION_PASSWORD, and 401 once it is deleted', async () => {
    const created = await janitor.create({ type: 'ContinuousIntegration' });
    const auth = basic(target.username, created.token);
    const ok = await call(target, 'GET', 'api/projects', { auth });
    expect(ok.status).toBe(200);
    const body = await json(ok);
    expect(body).toEqual(expect.any(Object));
    await janitor.cleanUp();
    await expectError(await call(target, 'GET', 'api/projects', { auth }), 401);
  });
});
