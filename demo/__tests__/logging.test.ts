/**
 * One log line per request, and never a secret in it.
 */
import { useDemoPortal } from './demo-portal';

const portal = useDemoPortal();
const { lines } = portal;

it('logs method, path and status without tokens, passwords or cookies', async () => {
  const password = 'alice-password';
  const login = await fetch(`${portal.url}rest/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `username=alice&password=${password}`
  });
  const session = (await login.json()).results.token as string;
  const cookies = login.headers.getSetCookie().map(h => h.split(';')[0]);
  const cookie = cookies.join('; ');
  const created = await fetch(
    `${portal.url}rest/v1/users/current/api/token?token=${session}`,
    { method: 'POST', headers: { Cookie: cookies[1] } }
  );
  expect(created.status).toBe(200);
  const apiToken = (await created.json()).data.token as string;
  const data = await fetch(
    `${portal.url}rest/v1/warehouse/resources?Bearer=${apiToken}`
  );
  expect(data.status).toBe(200);
  await fetch(`${portal.url}rest/v1/warehouse/resources`, {
    headers: { Authorization: 'Bearer 42.nonsense', Cookie: cookie }
  });

  expect(lines).toEqual([
    'POST /rest/auth/login 200',
    'POST /rest/v1/users/current/api/token 200',
    'GET /rest/v1/warehouse/resources 200',
    'GET /rest/v1/warehouse/resources 401'
  ]);
  const secrets = [
    password,
    session,
    apiToken,
    apiToken.split('.')[1],
    ...cookies.map(c => c.split('=')[1])
  ];
  for (const line of lines) {
    for (const secret of secrets) {
      expect(line).not.toContain(secret);
    }
  }
});
