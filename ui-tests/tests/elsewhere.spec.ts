import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  cellOutput,
  newNotebook,
  openPortalSection,
  PYTHON_USE_TOKEN,
  test,
  XDMOD
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('a token revoked elsewhere leaves the panel and the kernels when the window is focused', async ({
  page
}) => {
  test.setTimeout(180000);
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  const section = await openPortalSection(page, XDMOD);
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section).toContainText('Live in 1 kernel');
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');

  // Another client of the same account revokes it (XDMoD's API, with the portal session).
  const status = await page.evaluate(async () => {
    const response = await fetch('/rest/users/current/api/token', {
      method: 'DELETE',
      headers: { 'X-Requested-With': 'XMLHttpRequest' }
    });
    return response.status;
  });
  expect(status).toBe(200);

  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(
    section.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING status: -');
});

test('two tabs agree: a token made or revoked in one shows in the other at once', async ({
  page,
  context,
  baseURL
}) => {
  test.setTimeout(180000);
  const other = await context.newPage();
  await other.goto(`${baseURL}/lab`);
  await other.getByRole('tab', { name: 'API tokens' }).click();
  const otherSection = other
    .getByRole('region', { name: 'API tokens' })
    .getByRole('region', { name: XDMOD, exact: true });
  await expect(otherSection).toContainText(
    'You have no API token at XDMoD (demo).'
  );

  const section = await openPortalSection(page, XDMOD);
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    section.getByRole('button', { name: 'Copy token' })
  ).toBeVisible();

  // The other tab learns the live token from the Jupyter server (the tabs themselves only say
  // that something changed, never a secret): live there too, with nothing to replace.
  await expect(
    otherSection.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await expect(otherSection).toContainText('Token known here');
  await expect(
    otherSection.getByRole('button', { name: 'Replace token' })
  ).toHaveCount(0);

  // Revoked in the other tab: gone here too.
  await otherSection.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(other, 'Revoke');
  await expect(section).toContainText('You have no API token at XDMoD (demo).');
  await expect(otherSection).toContainText(
    'You have no API token at XDMoD (demo).'
  );
  await other.close();
});
