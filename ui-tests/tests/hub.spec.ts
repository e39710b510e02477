import { expect } from '@jupyterlab/galata';
import {
  cellOutput,
  newNotebook,
  openForm,
  openPortalSection,
  portalUrl,
  PYTHON_USE_TOKEN,
  setPortals,
  test,
  watchPortalCalls,
  XDMOD
} from './helpers';

/**
 * JupyterLab served by the hub, on no portal's origin (as a JupyterHub at another host name):
 * XDMoD cannot be called from the page there, so the panel signs in through the server's
 * relay with the password, once, and manages the token through it.
 */
const HUB = `http://127.0.0.1:${Number(process.env.DEMO_PORTAL_PORT) + 3}/`;
test.use({ baseURL: `${HUB}jupyter` });

test('XDMoD from a JupyterLab on another origin: a password once, the token in a new notebook, accepted by XDMoD, then signed out', async ({
  page
}) => {
  test.setTimeout(180000);
  expect(new URL(page.url()).origin).toBe(HUB.replace(/\/$/, ''));
  const calls = watchPortalCalls(page, 'xdmod', portalUrl());
  const passwords: string[] = [];
  page.on('request', async request => {
    const credentials = (await request.allHeaders())['x-portal-authorization'];
    if (credentials) {
      passwords.push(credentials.split(' ')[0]);
    }
  });
  await page.reload();

  // The browser's XDMoD session (same host, other port) counts for nothing here.
  const section = await openPortalSection(page, XDMOD);
  await expect(
    section.getByText('Sign in to XDMoD (demo) to manage your API tokens.')
  ).toBeVisible();
  await openForm(section, 'Sign in…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('not-the-password');
  await section.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(section.getByRole('alert')).toContainText(
    'did not accept that username and password'
  );
  await section.getByLabel('Password').fill('demo');
  await section.getByLabel('Password').press('Enter');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    section.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();

  // A new notebook's kernel has it, and XDMoD's data route accepts it.
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');

  // Everything went through the relay: the page never called XDMoD's origin; the password
  // travelled once per sign-in attempt (two), not with every call.
  expect(calls.direct).toEqual([]);
  expect(calls.relayed).toContain('POST rest/auth/login');
  expect(calls.relayed).toContain('POST rest/users/current/api/token');
  expect(passwords).toEqual(['Basic', 'Basic']);

  // Signing out closes the relay's portal session: the panel asks for the password again,
  // and XDMoD, asked through the relay, says no one is signed in.
  const loggedOut = page.waitForResponse(r =>
    r.url().endsWith('/portal-token/relay/xdmod/rest/auth/logout')
  );
  await section
    .getByRole('button', { name: 'Sign out of XDMoD (demo)' })
    .click();
  expect((await loggedOut).status()).toBe(200);
  await expect(
    section.getByRole('button', { name: 'Sign in…', exact: true })
  ).toBeVisible();
  const status = await page.evaluate(async () => {
    const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? '';
    const response = await fetch(
      '/jupyter/portal-token/relay/xdmod/rest/users/current/api/token',
      { headers: { 'X-XSRFToken': decodeURIComponent(xsrf) } }
    );
    return response.status;
  });
  expect(status).toBe(401);
});

test('XDMoD behind single sign-on, from another origin: the panel says JupyterLab must be on the portal’s origin', async ({
  page
}) => {
  await setPortals(page, [
    {
      id: 'xdmod',
      kind: 'xdmod',
      label: XDMOD,
      url: portalUrl(),
      passwordSignIn: false
    }
  ]);
  const section = await openPortalSection(page, XDMOD);
  await expect(section).toContainText(
    `XDMoD (demo) signs you in through single sign-on, which works only in pages on its own origin (${portalUrl().replace(/\/$/, '')}).`
  );
  await expect(section).toContainText(
    "JupyterLab must be served from the portal's origin."
  );
  await expect(section.getByLabel('Password')).toHaveCount(0);
  await expect(section.getByRole('button', { name: /Sign in/ })).toHaveCount(0);
});
