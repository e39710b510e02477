/**
 * The demo's test hooks: faults, reset, and making a token expire.
 */
import { cookieHeader, useDemoPortal } from './demo-portal';
import {
  armFault,
  call,
  clearFaults,
  errorBody,
  IContractTarget,
  ISignedIn,
  openTarget,
  signIn
} from './xdmod-client';

const TOKEN = 'rest/users/current/api/token';
const TOKEN_V1 = 'rest/v1/users/current/api/token';

let target: IContractTarget;
let session: ISignedIn;

beforeAll(async () => {
  target = await openTarget();
  session = await signIn(target);
});

afterAll(async () => {
  await target?.close();
});

afterEach(async () => {
  await call(target, 'POST', '__demo__/reset');
});

it('hangs a route for the time asked', async () => {
  await armFault(target, { route: `GET /${TOKEN}`, hangMs: 400, times: 1 });
  const started = Date.now();
  const response = await call(target, 'GET', TOKEN_V1, {
    cookies: session.cookies
  });
  expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  // After the wait the route runs normally.
  expect(response.status).toBe(404);
});

it('answers malformed JSON when asked', async () => {
  await armFault(target, {
    route: `POST /${TOKEN_V1}`,
    malformed: true
  });
  const response = await call(target, 'POST', TOKEN, {
    cookies: session.cookies
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  await expect(response.json()).rejects.toThrow();
});

it('fails as often as told, then recovers', async () => {
  await armFault(target, { route: `GET /${TOKEN}`, status: 503, times: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await call(target, 'GET', TOKEN, {
      cookies: session.cookies
    });
    statuses.push(response.status);
    if (response.status === 503) {
      expect(await response.json()).toEqual(errorBody('Service Unavailable'));
    }
  }
  expect(statuses).toEqual([503, 503, 404]);
});

it('lists and clears faults', async () => {
  await armFault(target, { route: `DELETE /${TOKEN}`, status: 500 });
  const listed = await (await call(target, 'GET', '__demo__/faults')).json();
  expect(listed.faults).toEqual([{ route: `DELETE /${TOKEN}`, status: 500 }]);
  await clearFaults(target);
  const cleared = await (await call(target, 'GET', '__demo__/faults')).json();
  expect(cleared.faults).toEqual([]);
});

it('refuses a malformed fault', async () => {
  for (const fault of [
    { route: 'nonsense', status: 500 },
    { route: `GET /${TOKEN}` }
  ]) {
    const response = await call(target, 'POST', '__demo__/faults', {
      body: fault
    });
    expect(response.status).toBe(400);
    expect((await response.json()).message).toEqual(expect.any(String));
  }
});

it('resets tokens and faults', async () => {
  await call(target, 'POST', TOKEN, { cookies: session.cookies });
  await armFault(target, { route: `GET /${TOKEN}`, status: 500 });
  const reset = await call(target, 'POST', '__demo__/reset');
  expect(reset.status).toBe(200);
  const response = await call(target, 'GET', TOKEN, {
    cookies: session.cookies
  });
  expect(response.status).toBe(404);
});

it('makes a token expire at once', async () => {
  const created = await (
    await call(target, 'POST', TOKEN, { cookies: session.cookies })
  ).json();
  const expire = await call(target, 'POST', '__demo__/xdmod/expire-token', {
    body: { username: target.username }
  });
  expect(expire.status).toBe(200);
  const response = await call(target, 'GET', 'rest/v1/warehouse/resources', {
    headers: { Authorization: `Bearer ${created.data.token}` }
  });
  expect(response.status).toBe(401);
  expect((await response.json()).message).toBe('Token has expired.');
});

describe('without test hooks', () => {
  const portal = useDemoPortal({
    logger: 'silent',
    faults: [{ route: `DELETE /${TOKEN}`, status: 500 }]
  });

  it('serves no /__demo__ routes', async () => {
    for (const path of ['__demo__/faults', '__demo__/reset']) {
      const response = await fetch(`${portal.url}${path}`, { method: 'POST' });
      expect(response.status).toBe(404);
    }
  });

  it('still applies faults given as options', async () => {
    const basic = Buffer.from('demo:demo').toString('base64');
    const login = await fetch(`${portal.url}rest/auth/login`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}` }
    });
    const cookie = cookieHeader(login);
    const response = await fetch(`${portal.url}${TOKEN_V1}`, {
      method: 'DELETE',
      headers: { Cookie: cookie }
    });
    expect(response.status).toBe(500);
    expect((await response.json()).message).toBe('Unable to revoke API token.');
  });
});
