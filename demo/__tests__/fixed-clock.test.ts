/**
 * `DEMO_FIXED_CLOCK`: the portals' clock stands at one instant and every run deals the same
 * token secrets (the README's pictures come out the same); without it, nothing is fixed.
 */
import { addInterval, formatXdmodDate, parseInterval } from '../src/dates';
import { optionsFromEnv } from '../src/main';
import { IPortalOptions, IRunningPortal, startPortal } from '../src/server';

const INSTANT = '2030-06-03T09:30:00Z';
const BASIC = `Basic ${Buffer.from('alice:alice-password').toString('base64')}`;

/** What XDMoD answers when alice creates her token. */
interface ICreated {
  token: string;
  expiration_date: string;
}

/** A demo started from these environment variables (no JupyterLab, test hooks on). */
function startFromEnv(env: NodeJS.ProcessEnv): Promise<IRunningPortal> {
  const { port, logFile, ...options }: IPortalOptions & { logFile?: string } =
    optionsFromEnv({ ...env, JUPYTER_COMMAND: 'none', DEMO_TEST_HOOKS: '1' });
  expect({ port, logFile }).toEqual({ port: 8800, logFile: undefined });
  return startPortal({ ...options, port: 0, logger: 'silent' });
}

/** Signs alice in to XDMoD and creates her token. */
async function createXdmodToken(portal: IRunningPortal): Promise<ICreated> {
  const login = await fetch(new URL('rest/auth/login', portal.url), {
    method: 'POST',
    headers: { Authorization: BASIC, Accept: 'application/json' }
  });
  expect(login.status).toBe(200);
  await login.body?.cancel();
  const cookie = login.headers
    .getSetCookie()
    .map(header => header.split(';')[0])
    .join('; ');
  const created = await fetch(
    new URL('rest/users/current/api/token', portal.url),
    { method: 'POST', headers: { Cookie: cookie } }
  );
  expect(created.status).toBe(200);
  return ((await created.json()) as { data: ICreated }).data;
}

/** Alice's first XDMoD token from a fresh demo, and the one after a reset. */
async function firstTokens(env: NodeJS.ProcessEnv): Promise<ICreated[]> {
  const portal = await startFromEnv(env);
  try {
    const first = await createXdmodToken(portal);
    const reset = await fetch(new URL('__demo__/reset', portal.url), {
      method: 'POST'
    });
    expect(reset.status).toBe(200);
    return [first, await createXdmodToken(portal)];
  } finally {
    await portal.close();
  }
}

describe('DEMO_FIXED_CLOCK', () => {
  it('deals the same first XDMoD token, expiring 6 months after the instant, on every start', async () => {
    const [one, afterReset] = await firstTokens({ DEMO_FIXED_CLOCK: INSTANT });
    const [two] = await firstTokens({ DEMO_FIXED_CLOCK: INSTANT });
    expect(one.token).toMatch(/^42\.[0-9a-f]{64}$/);
    expect(two).toEqual(one);
    // Each test of `make screenshots` starts from a reset: it gets the same token too.
    expect(afterReset).toEqual(one);
    // XDMoD's own format, in the process's local time zone.
    expect(one.expiration_date).toBe(
      formatXdmodDate(addInterval(new Date(INSTANT), parseInterval('6 months')))
    );
  });

  it('leaves the clock and the tokens real without it', async () => {
    const [one, afterReset] = await firstTokens({});
    const [two] = await firstTokens({});
    expect(new Set([one.token, afterReset.token, two.token]).size).toBe(3);
    // Six months from now, not from an instant.
    expect(one.expiration_date).not.toBe(
      formatXdmodDate(addInterval(new Date(INSTANT), parseInterval('6 months')))
    );
  });

  it('refuses what is not an instant with its zone', () => {
    for (const text of ['2030-06-03 09:30', '2030-06-03T09:30', 'tomorrow']) {
      expect(() => optionsFromEnv({ DEMO_FIXED_CLOCK: text })).toThrow(
        /DEMO_FIXED_CLOCK/
      );
    }
    expect(
      optionsFromEnv({ DEMO_FIXED_CLOCK: ` ${INSTANT} ` }).fixedClock
    ).toEqual(new Date(INSTANT));
    expect(optionsFromEnv({}).fixedClock).toBeUndefined();
  });
});
