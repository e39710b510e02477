import { expect } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';
import { test as base } from '../tests/helpers';
import { PANEL_STATES, panelSettled } from './states';

/**
 * `make screenshots`: the panel in each state a person meets, light and dark, into
 * docs/images/ (the README's gallery). The files are this script's output: never edit them.
 */
const IMAGES = path.resolve(__dirname, '..', '..', 'docs', 'images');

/**
 * The page's clock starts at the demo's fixed instant (the project's `demoClock`) before
 * JupyterLab loads, and runs on from there: the panel counts days and months from the time
 * the portals give their tokens, as it would with a real clock.
 */
const test = base.extend({
  context: async ({ context }, use, testInfo) => {
    const clock = testInfo.project.metadata.demoClock;
    expect(clock, 'the project names the demo clock').toBeTruthy();
    await context.clock.install({ time: String(clock) });
    await use(context);
  }
});

test.beforeAll(() => {
  fs.mkdirSync(IMAGES, { recursive: true });
});

for (const state of PANEL_STATES) {
  test(`panel-${state.name}: ${state.title}`, async ({
    page,
    request,
    baseURL
  }) => {
    test.setTimeout(180000);
    await state.reach(page, request, baseURL);
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
        expect(await page.theme.getTheme()).toBe('JupyterLab Dark');
      }
      const panel = await panelSettled(page);
      if (state.focus) {
        await panel
          .getByRole('region', { name: state.focus, exact: true })
          .scrollIntoViewIfNeeded();
      }
      // No focus ring or hover left from reaching the state.
      await page.evaluate(() =>
        (document.activeElement as HTMLElement)?.blur()
      );
      await page.mouse.move(0, 0);
      const file = path.join(IMAGES, `panel-${state.name}-${theme}.png`);
      // The panel's region, down to the end of its content (the rest is empty sidebar).
      const box = await panel.boundingBox();
      expect(box).not.toBeNull();
      const used = await panel.evaluate(node => {
        const top = node.getBoundingClientRect().top;
        const bottoms = Array.from(node.children).map(
          child => child.getBoundingClientRect().bottom - top
        );
        return Math.ceil(Math.max(0, ...bottoms)) + 8;
      });
      await page.screenshot({
        path: file,
        clip: { ...box!, height: Math.min(box!.height, used) },
        animations: 'disabled',
        caret: 'hide'
      });
      expect(fs.statSync(file).size).toBeGreaterThan(1000);
    }
  });
}
