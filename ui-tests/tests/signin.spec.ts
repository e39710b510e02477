import { expect, test } from '@playwright/test';

/**
 * A person who is not signed in: the portal's page, then JupyterLab behind it on the same
 * origin, then the "API tokens" panel showing what the portal says.
 */
test.describe('signing in through the portal', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('JupyterLab needs a portal session, and the panel shows the portal state', async ({
    page,
    baseURL
  }) => {
    const portal = new URL('/', baseURL).href;

    // Without a session, JupyterLab is not reachable: the portal asks to sign in.
    await page.goto(`${baseURL}/lab`);
    await expect(page).toHaveURL(new RegExp(`^${portal}`));
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

    // A wrong password is refused with a message.
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText(
      'Invalid username or password'
    );

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The portal sends us on to JupyterLab at /jupyter/lab, same origin.
    await expect(page).toHaveURL(/\/jupyter\/lab/);
    const tab = page.getByRole('tab', { name: 'API tokens' });
    await expect(tab).toBeVisible({ timeout: 60000 });
    // The layout may come back with the panel open already (JupyterLab's workspace), and it
    // may be restored after the tab shows: a click then closes it again. Click until it is open.
    const region = page.getByRole('region', { name: 'API tokens' });
    await expect(async () => {
      if (!(await region.isVisible())) {
        await tab.click();
      }
      await expect(region).toBeVisible({ timeout: 2000 });
    }).toPass({ timeout: 30000 });

    const panel = page
      .getByRole('region', { name: 'API tokens' })
      .getByRole('region', { name: 'XDMoD (demo)', exact: true });
    await expect(panel).toBeVisible();
    await expect(
      panel.getByRole('heading', { name: 'XDMoD (demo)' })
    ).toBeVisible();
    // alice is signed in and has no token yet: the portal answered 404 "API token not found."
    await expect(panel).toContainText('You have no API token at XDMoD (demo).');
    await expect(
      panel.getByRole('button', { name: 'Generate token' })
    ).toBeEnabled();

    // The portal session ends (signed out in another tab): on focus the panel says so.
    await page.evaluate(() => fetch('/rest/auth/logout', { method: 'POST' }));
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect(panel).toContainText('You are not signed in to XDMoD (demo).');
    const link = panel.getByRole('link', { name: 'Sign in to XDMoD (demo)' });
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(link).toHaveAttribute('href', portal);

    // Signed in again there, back here: the panel checks again.
    await page.evaluate(() =>
      fetch('/rest/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'username=alice&password=alice-password'
      })
    );
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect(
      panel.getByRole('button', { name: 'Generate token' })
    ).toBeVisible();
  });
});
