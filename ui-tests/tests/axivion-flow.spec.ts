import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  AXIVION,
  cellOutput,
  createAxivionToken,
  newNotebook,
  openForm,
  openPortalSection,
  axivionUrl,
  PYTHON_AXIVION,
  test,
  watchPortalCalls
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('Axivion: sign in → list → create → live in the kernel → revoke others → revoke it', async ({
  page,
  request,
  baseURL
}) => {
  test.setTimeout(240000);
  // The dashboard is on its own origin and sends no CORS headers: the panel uses the relay.
  const calls = watchPortalCalls(page, 'axivion', axivionUrl());
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_AXIVION);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('axivion: MISSING None -');

  await createAxivionToken(request, baseURL, 'CI pipeline');
  const section = await openPortalSection(page, AXIVION);
  await expect(section).toContainText('Sign in to Axivion Dashboard (demo)');

  // A wrong password is refused with a clear message and not kept in the form.
  await openForm(section, 'Sign in…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('wrong');
  await section.getByRole('button', { name: 'Sign in' }).click();
  await expect(section.getByRole('alert')).toContainText(
    'did not accept that username and password'
  );
  await expect(section.getByLabel('Password')).toHaveValue('');

  // Signed in: the token made elsewhere is listed with what the portal says of it.
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Sign in' }).click();
  const list = section.getByRole('list', {
    name: 'Your tokens at Axivion Dashboard (demo)'
  });
  await expect(list).toBeVisible();
  const elsewhere = list
    .getByRole('listitem')
    .filter({ hasText: 'CI pipeline' });
  await expect(elsewhere).toContainText('General');
  await expect(elsewhere).toContainText('never'); // never used
  await expect(elsewhere).toContainText('valid');

  // Create one here: type, description, lifetime, and the password the API checks.
  await openForm(section, 'New token…');
  await section.getByLabel('Type').selectOption('IdePlugin');
  await section.getByLabel('Label').fill('JupyterLab');
  await section.getByLabel('Lifetime (hours)').fill('5');
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    section.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await expect(section).toContainText('Live in 1 kernel');
  const mine = list.getByRole('listitem').filter({ hasText: 'JupyterLab' });
  await expect(mine).toContainText('IdePlugin');
  await expect(mine).toContainText('in your kernels');
  await expect(mine).toContainText('this session');

  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('axivion: set demo 200');
  expect(calls.relayed).toContain('POST api/users/demo/tokens');
  expect(calls.direct).toEqual([]);
  await page.notebook.addCell('code', '_old = _axp');
  await page.notebook.runCell(1, true);

  // Revoking another token keeps ours in the kernel.
  await elsewhere.getByRole('button', { name: 'Revoke CI pipeline' }).click();
  await answerDialog(page, 'Revoke');
  await expect(
    list.getByRole('listitem').filter({ hasText: 'CI pipeline' })
  ).toHaveCount(0);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('axivion: set demo 200');

  // Two more from elsewhere, then revoke them together with ours (bulk delete).
  await createAxivionToken(request, baseURL, 'laptop');
  await createAxivionToken(request, baseURL, 'desktop');
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(
    list.getByRole('listitem').filter({ hasText: 'laptop' })
  ).toBeVisible();
  await list.getByRole('checkbox', { name: 'Select laptop' }).check();
  await list.getByRole('checkbox', { name: 'Select JupyterLab' }).check();
  await section.getByRole('button', { name: 'Revoke selected (2)' }).click();
  await answerDialog(page, 'Revoke');

  // Ours was the session's credential: signed out, scrubbed, refused by the portal.
  await expect(section.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('axivion: MISSING None -');
  await page.notebook.addCell('code', 'print("old:", _axivion("demo", _old))');
  await page.notebook.runCell(2, true);
  expect(await cellOutput(page, 2)).toBe('old: 401');

  // "desktop" survived the bulk delete.
  await openForm(section, 'Sign in…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Sign in' }).click();
  await expect(
    list.getByRole('listitem').filter({ hasText: 'desktop' })
  ).toContainText('valid');
  await expect(
    list.getByRole('listitem').filter({ hasText: 'laptop' })
  ).toHaveCount(0);
});
