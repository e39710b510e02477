import { expect } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import { openTokenPanel, setPortals, test, XDMOD } from './helpers';

/** A theme variable resolved to the colour the browser paints, e.g. `rgb(255, 255, 255)`. */
async function themeColor(page: Page, variable: string): Promise<string> {
  return page.evaluate(name => {
    const probe = document.createElement('div');
    probe.style.color = `var(${name})`;
    document.body.appendChild(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }, variable);
}

/** What the page's CSS made of one property of an element. */
async function computed(locator: Locator, property: string): Promise<string> {
  return locator.evaluate(
    (node, name) => getComputedStyle(node).getPropertyValue(name),
    property
  );
}

test('the panel and the status item follow the light and the dark theme', async ({
  page
}) => {
  await setPortals(page, [
    { id: 'bad-url', kind: 'xdmod', label: 'Bad URL', url: 'ftp://x' },
    { id: 'xdmod', kind: 'xdmod', label: XDMOD, url: '/' }
  ]);
  const panel = await openTokenPanel(page);
  const xdmod = panel.getByRole('region', { name: XDMOD, exact: true });
  await xdmod.getByRole('button', { name: 'Generate token' }).click();
  await expect(xdmod.getByRole('button', { name: 'Copy token' })).toBeVisible();
  const content = page.locator('.jp-PortalToken-panel');
  const heading = panel.getByRole('heading', { name: 'API tokens' });
  const problem = panel
    .getByRole('region', { name: 'Bad URL', exact: true })
    .getByRole('alert');
  await expect(problem).toBeVisible();
  const status = page
    .locator('#jp-main-statusbar')
    .getByRole('button', { name: /API token/ });
  await expect(status).toBeVisible();

  const painted = async () => ({
    panel: await computed(content, 'background-color'),
    problem: await computed(problem, 'color')
  });
  const expected = async () => ({
    panel: await themeColor(page, '--jp-layout-color1'),
    problem: await themeColor(page, '--jp-error-color1')
  });

  const light = await painted();
  expect(light).toEqual(await expected());
  // Rules only the extension's stylesheet has.
  expect(await computed(heading, 'text-transform')).toBe('uppercase');
  expect(await computed(status, 'border-top-style')).toBe('none');

  await page.theme.setDarkTheme();
  const dark = await painted();
  expect(dark).toEqual(await expected());
  expect(dark.panel).not.toBe(light.panel);
  expect(dark.problem).not.toBe(light.problem);
  expect(await computed(status, 'border-top-style')).toBe('none');

  // The panel and the status item share one stylesheet, added once.
  const sheets = await page.evaluate(
    () =>
      Array.from(document.querySelectorAll('style')).filter(style =>
        style.textContent?.includes('.jp-PortalToken-panel')
      ).length
  );
  expect(sheets).toBe(1);
  await page.theme.setLightTheme();
});
