import { expect } from '@jupyterlab/galata';
import {
  cellOutput,
  setSetting,
  newNotebook,
  openPortalSection,
  PYTHON_USE_TOKEN,
  test,
  XDMOD
} from './helpers';

const DAY = 24 * 60 * 60 * 1000;

test('while JupyterLab is open: warned before expiry, renew offered, scrubbed at expiry', async ({
  page
}) => {
  test.setTimeout(180000);
  // The page's clock runs as usual until the test moves it on (the portal's stays real).
  await page.clock.install();
  await page.reload();
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);

  const section = await openPortalSection(page, XDMOD);
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section).toContainText('Live in 1 kernel');
  await expect(
    section.getByRole('button', { name: 'Renew token' })
  ).toHaveCount(0);
  const expiry = await section.locator('.jp-PortalToken-expiry').innerText();
  expect(expiry).toMatch(/\(in \d+ months?\)/);

  // Six days before the end (the warning period is 7 days): warned, and renewing is offered.
  const timeLeft = () =>
    page.evaluate(async () => {
      const manager = (await window.galata.getPlugin(
        'jupyterlab-portal-token:plugin' as never
      )) as unknown as {
        models: { config: { id: string }; timeLeft: number }[];
      };
      return manager.models.find(model => model.config.id === 'xdmod')!
        .timeLeft;
    });
  await page.clock.fastForward((await timeLeft()) - 6 * DAY);
  await expect(section.locator('.jp-PortalToken-expiry')).toContainText(
    'renew soon'
  );
  await expect(
    section.getByRole('button', { name: 'Renew token' })
  ).toBeVisible();
  await expect(
    page
      .locator('.jl-toast-container, .Toastify')
      .getByText('Your API token for XDMoD (demo) expires soon.')
  ).toBeVisible();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');

  // At the expiry: gone from the panel's live state and from the kernel.
  await page.clock.fastForward((await timeLeft()) + 1000);
  await expect(section).toContainText('Your API token expired on');
  await expect(section).toContainText('It was removed from the kernels.');
  await expect(
    section.getByRole('button', { name: 'Replace token' })
  ).toBeVisible();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING status: -');
});

test('"Renew token" puts a new token into the kernel', async ({ page }) => {
  test.setTimeout(120000);
  // A warning period longer than the token's life: renewing is offered at once.
  await setSetting(page, 'warnBeforeExpiryDays', 400);
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  const section = await openPortalSection(page, XDMOD);
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section).toContainText('Live in 1 kernel');
  const before = await section.locator('code').innerText();
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');

  await section.getByRole('button', { name: 'Renew token' }).click();
  await expect(section.locator('code')).not.toHaveText(before);
  await expect(section).toContainText('Live in 1 kernel');
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');
});
