import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  openPortalSection,
  XDMOD,
  portalUrl,
  test
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('a token made in the portal: dates shown, secret unknown, "Replace token" after a warning', async ({
  page,
  request,
  baseURL
}) => {
  const portal = portalUrl(baseURL);
  // The person made a token on the portal's own page earlier.
  const made = await request.post(`${portal}rest/users/current/api/token`);
  expect(made.status()).toBe(200);
  const oldToken = (await made.json()).data.token as string;

  await page.reload();
  const panel = await openPortalSection(page, XDMOD);
  await expect(panel).toContainText('You have an API token at XDMoD (demo).');
  await expect(panel).toContainText(/Created .+2\d{3}/);
  await expect(panel).toContainText(/Expires .+\(in \d+ months?\)/);
  await expect(panel).toContainText('Its secret is not known here');
  await expect(panel.getByRole('button', { name: 'Copy token' })).toHaveCount(
    0
  );

  await panel.getByRole('button', { name: 'Replace token' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(
    'anything else that uses it stops working'
  );
  await dialog.getByRole('button', { name: 'Replace', exact: true }).click();
  await expect(panel.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await expect(panel).toContainText('Live in');

  // The old token no longer opens the data route.
  const old = await request.get(`${portal}rest/v1/warehouse/resources`, {
    headers: { Authorization: `Bearer ${oldToken}` }
  });
  expect(old.status()).toBe(401);
});

test('an expired token is shown as expired, with "Replace token"', async ({
  page,
  request,
  baseURL
}) => {
  const portal = portalUrl(baseURL);
  const panel = await openPortalSection(page, XDMOD);
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(panel.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await expect(page.locator('#jp-main-statusbar')).toContainText(
    /API token: \d+ d/
  );

  const expire = await request.post(`${portal}__demo__/xdmod/expire-token`, {
    data: { username: 'demo' }
  });
  expect(expire.ok()).toBe(true);
  await page.reload();
  const reloaded = await openPortalSection(page, XDMOD);
  await expect(reloaded).toContainText(/Your API token expired on/);
  await expect(
    reloaded.getByRole('button', { name: 'Replace token' })
  ).toBeVisible();
  await expect(page.locator('#jp-main-statusbar')).toContainText(
    'API token: expired'
  );

  // Replacing deletes the expired token first (XDMoD answers 409 otherwise).
  await reloaded.getByRole('button', { name: 'Replace token' }).click();
  await answerDialog(page, 'Replace');
  await expect(
    reloaded.getByRole('button', { name: 'Copy token' })
  ).toBeVisible();
});

test('a portal failure explains itself, keeps the state, and a retry works', async ({
  page,
  request,
  baseURL
}) => {
  const portal = portalUrl(baseURL);
  const armed = await request.post(`${portal}__demo__/faults`, {
    data: { route: 'POST /rest/users/current/api/token', status: 500 }
  });
  expect(armed.ok()).toBe(true);

  const panel = await openPortalSection(page, XDMOD);
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(panel.getByRole('alert')).toHaveText(
    'XDMoD (demo) failed with an error (HTTP 500). Try again later.'
  );
  await expect(
    panel.getByRole('button', { name: 'Generate token' })
  ).toBeEnabled();

  await request.delete(`${portal}__demo__/faults`);
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(panel.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await expect(panel.getByRole('alert')).toHaveCount(0);
});

test('commands in the palette generate, copy and revoke', async ({ page }) => {
  const panel = await openPortalSection(page, XDMOD);
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute(
      'jupyterlab-portal-token:generate-token'
    );
  });
  await expect(panel.getByRole('button', { name: 'Copy token' })).toBeVisible();
  const labels = await page.evaluate(() =>
    [
      'jupyterlab-portal-token:generate-token',
      'jupyterlab-portal-token:copy-token',
      'jupyterlab-portal-token:revoke-token'
    ].map(id => [
      window.jupyterapp.commands.label(id),
      window.jupyterapp.commands.isEnabled(id)
    ])
  );
  expect(labels).toEqual([
    ['Generate API Token', false],
    ['Copy API Token', true],
    ['Revoke API Token', true]
  ]);
  void page.evaluate(() =>
    window.jupyterapp.commands.execute('jupyterlab-portal-token:revoke-token')
  );
  await answerDialog(page, 'Revoke');
  await expect(
    panel.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
});
