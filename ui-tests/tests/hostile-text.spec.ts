import { expect } from '@jupyterlab/galata';
import {
  armFault,
  AXIVION,
  createAxivionToken,
  openForm,
  openPortalSection,
  SODAR,
  test
} from './helpers';

test.describe.configure({ mode: 'serial' });

/** Markup that would run if it were ever rendered as HTML. */
const MARKUP = '<img src=x onerror="window.__pwned=1"><b>bold</b>';

test('a token description with markup is shown as text', async ({
  page,
  request,
  baseURL
}) => {
  await createAxivionToken(request, baseURL, MARKUP);
  const section = await openPortalSection(page, AXIVION);
  await openForm(section, 'Sign in…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Sign in' }).click();
  const list = section.getByRole('list', {
    name: 'Your tokens at Axivion Dashboard (demo)'
  });
  await expect(list).toContainText(MARKUP);
  await expect(list.locator('img, b')).toHaveCount(0);
  expect(await page.evaluate(() => '__pwned' in window)).toBe(false);
});

test("a portal's error message with markup is shown as text", async ({
  page,
  request,
  baseURL
}) => {
  await armFault(request, baseURL, {
    route: 'POST /sodar/tokens/api/login',
    status: 400,
    message: MARKUP
  });
  const section = await openPortalSection(page, SODAR);
  await openForm(section, 'New token…');
  await section.getByLabel('Username').fill('demo');
  await section.getByLabel('Password').fill('demo');
  await section.getByRole('button', { name: 'Generate token' }).click();
  const alert = section.getByRole('alert');
  await expect(alert).toContainText(
    `SODAR (demo) refused the request: ${MARKUP}`
  );
  await expect(alert.locator('img, b')).toHaveCount(0);
  expect(await page.evaluate(() => '__pwned' in window)).toBe(false);
});
