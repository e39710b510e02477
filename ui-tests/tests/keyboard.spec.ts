import type { Locator, Page } from '@playwright/test';
import { expect } from '@jupyterlab/galata';
import { Names } from '../screenshots/states';
import { keptTokens, portalUrl, SODAR, test, XDMOD } from './helpers';

/**
 * The whole XDMoD flow with the keyboard alone: open the panel from the command palette,
 * generate, see it live, revoke, confirm. Nothing here clicks or points; the page counts
 * pointer presses to prove it.
 */
test('XDMoD with the keyboard alone: palette → panel → generate → live → revoke → confirm', async ({
  page,
  request,
  baseURL
}) => {
  test.setTimeout(120000);
  const pointerPresses = await countPointerPresses(page);
  const section = await openFromPalette(page, XDMOD);

  // The panel takes the focus (its first control): "Generate token" is a few Tabs away,
  // inside the panel, not behind JupyterLab's top bar and sidebar tabs.
  await tabTo(page, Names.generate(section), 8);
  await page.keyboard.press('Enter');
  await expect(Names.revoke(section)).toBeVisible();
  // Live: the server keeps it for the kernels.
  await expect
    .poll(async () => (await keptTokens(request, baseURL)).map(t => t.portal))
    .toEqual(['xdmod']);

  // The focus stays where "Generate token" was, not back at the top of the page.
  await tabTo(page, Names.revoke(section), 10);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await tabTo(
    page,
    dialog.getByRole('button', { name: 'Revoke', exact: true })
  );
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(Names.generate(section)).toBeVisible();

  // Gone at the portal and from the server, as after a revoke by mouse.
  const atPortal = await page.request.get(
    `${portalUrl()}rest/users/current/api/token`
  );
  expect(atPortal.status()).toBe(404);
  expect(await keptTokens(request, baseURL)).toEqual([]);
  expect(await pointerPresses()).toBe(0);
});

test('SODAR with the keyboard alone: "New token…", the form filled in and sent with Enter', async ({
  page,
  request,
  baseURL
}) => {
  const pointerPresses = await countPointerPresses(page);
  const section = await openFromPalette(page, SODAR);

  await tabTo(page, Names.newToken(section), 12);
  await page.keyboard.press('Enter');
  const username = section.getByLabel('Username');
  // The form opens with the focus in its first field.
  await expect(username).toBeFocused();
  await page.keyboard.type('demo');
  await tabTo(page, section.getByLabel('Password'), 5);
  await page.keyboard.type('demo');
  await page.keyboard.press('Enter');

  // The form closes, and the token is live for the kernels.
  await expect(username).toBeHidden();
  await expect
    .poll(async () => (await keptTokens(request, baseURL)).map(t => t.portal))
    .toEqual(['sodar']);
  expect(await pointerPresses()).toBe(0);
});

/**
 * JupyterLab's own keyboard way to the panel, the command palette (Ctrl+Shift+C, "Open API
 * Tokens Panel", Enter); returns the portal's card.
 */
async function openFromPalette(page: Page, label: string): Promise<Locator> {
  await page.keyboard.press('Control+Shift+C');
  await expect(page.locator('.jp-ModalCommandPalette input')).toBeFocused();
  await page.keyboard.type('Open API Tokens Panel');
  await expect(
    page.getByRole('menuitem', { name: /Open API Tokens Panel/ })
  ).toBeVisible();
  await page.keyboard.press('Enter');
  const panel = page.getByRole('region', { name: 'API tokens' });
  await expect(panel).toBeVisible();
  // Opened, the panel has the focus (as JupyterLab's own sidebars do).
  await expect
    .poll(() => panel.evaluate(node => node.contains(document.activeElement)))
    .toBe(true);
  return panel.getByRole('region', { name: label, exact: true });
}

/**
 * Count pointer presses on the page from now on (a keyboard's Enter on a button makes a click
 * but no pointerdown); returns a reader of the count.
 */
async function countPointerPresses(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const counted = window as unknown as { pointerPresses: number };
    counted.pointerPresses = 0;
    document.addEventListener(
      'pointerdown',
      () => counted.pointerPresses++,
      true
    );
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { pointerPresses: number }).pointerPresses
    );
}

/**
 * Press Tab (forward) until `target` has the focus, at most `max` times; fails otherwise.
 * Returns how many presses it took.
 */
async function tabTo(page: Page, target: Locator, max = 40): Promise<number> {
  await expect(target).toBeVisible();
  for (let presses = 0; presses <= max; presses++) {
    if (await target.evaluate(node => node === document.activeElement)) {
      return presses;
    }
    await page.keyboard.press('Tab');
  }
  const focused = await page.evaluate(
    () =>
      document.activeElement?.getAttribute('aria-label') ??
      document.activeElement?.textContent?.slice(0, 40)
  );
  throw new Error(
    `${max} presses of Tab did not reach ${target}: the focus is on "${focused}"`
  );
}
