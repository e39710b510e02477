import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  cellOutput,
  newNotebook,
  openForm,
  openPortalSection,
  PYTHON_SODAR,
  SODAR,
  sodarUrl,
  test,
  watchPortalCalls
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('SODAR: sign in with the password → token live in the kernel → replaced → removed', async ({
  page
}) => {
  test.setTimeout(240000);
  // SODAR is on its own origin and sends no CORS headers: the panel goes through the relay.
  const calls = watchPortalCalls(page, 'sodar', sodarUrl());
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_SODAR);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('sodar: MISSING -');

  const section = await openPortalSection(page, SODAR);
  // The form opens on demand; SODAR's API deletes every other token of the user: the form
  // says so before anything.
  await openForm(section, 'New token…');
  await expect(section.getByRole('note')).toContainText(
    'deletes all of your other SODAR (demo) tokens'
  );
  await expect(
    section.getByRole('link', { name: 'Manage tokens in SODAR (demo)' })
  ).toHaveAttribute('href', /\/sodar\/tokens\/list$/);

  // Nothing typed: a clear message, nothing sent.
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section.getByText('Enter your username.')).toBeVisible();
  await expect(section.getByText('Enter your password.')).toBeVisible();

  // A wrong password: the portal's refusal explained, the password field emptied.
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('not-the-password');
  await section.getByLabel('Label').fill('JupyterLab test');
  await section.getByLabel('Lifetime (hours)').fill('2');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section.getByRole('alert')).toContainText(
    'did not accept that username and password'
  );
  await expect(section.getByLabel('Password')).toHaveValue('');

  // A label over SODAR's 256 characters is refused before anything is sent.
  await section.getByLabel('Label').fill('x'.repeat(257));
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section.getByText('At most 256 characters')).toBeVisible();

  // The right password: a live token, in the running kernel, accepted by SODAR.
  await section.getByLabel('Label').fill('JupyterLab test');
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    section.getByRole('button', { name: 'Remove from kernels' })
  ).toBeVisible();
  await expect(section).toContainText(/Expires .+\(in (2 hours|\d+ minutes)\)/);
  await expect(section).toContainText('Live in 1 kernel');
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('sodar: set 200');
  expect(calls.relayed).toContain('POST tokens/api/login');
  expect(calls.direct).toEqual([]);
  await page.notebook.addCell('code', '_old = _stok');
  await page.notebook.runCell(1, true);

  // A new token replaces it: SODAR deletes the old one, the kernel gets the new one.
  await openForm(section, 'New token…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('demo');
  await section.getByLabel('Lifetime (hours)').fill('0');
  await section.getByRole('button', { name: 'Generate a new token' }).click();
  await expect(section).toContainText('Never expires');
  await page.notebook.addCell(
    'code',
    'print("old:", _sodar(_old), "same:", _old == os.environ.get("SODAR_API_TOKEN"))'
  );
  await page.notebook.runCell(2, true);
  expect(await cellOutput(page, 2)).toBe('old: 401 same: False');
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('sodar: set 200');

  // Removing it from the kernels (SODAR's API cannot revoke): gone from the kernel.
  await section.getByRole('button', { name: 'Remove from kernels' }).click();
  await answerDialog(page, 'Remove');
  await expect(
    section.getByRole('button', { name: 'New token…' })
  ).toBeVisible();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('sodar: MISSING -');
});
