import { expect } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  AXIVION,
  newNotebook,
  openPortalSection,
  openTokenPanel,
  setPortals,
  SODAR,
  test,
  XDMOD
} from './helpers';

test.use({ viewport: { width: 1280, height: 900 } });

/** The card's fold button: its heading's only control. */
const toggle = (section: Locator) =>
  section.getByRole('heading').getByRole('button');

test('three portals without a token fit a 900 px window, each card saying its state in a chip', async ({
  page
}) => {
  const panel = await openTokenPanel(page);
  const xdmod = await openPortalSection(page, XDMOD);
  const sodar = await openPortalSection(page, SODAR);
  const axivion = await openPortalSection(page, AXIVION);
  await expect(xdmod.getByText('No token', { exact: true })).toBeVisible();
  await expect(sodar.getByText('No token', { exact: true })).toBeVisible();
  await expect(axivion.getByText('Signed out', { exact: true })).toBeVisible();
  // One primary action each; the forms are not open until asked for.
  await expect(
    xdmod.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
  await expect(sodar.getByRole('button', { name: 'New token…' })).toBeVisible();
  await expect(axivion.getByRole('button', { name: 'Sign in…' })).toBeVisible();
  await expect(panel.getByRole('textbox')).toHaveCount(0);
  const size = await panel.evaluate(node => ({
    scroll: node.scrollHeight,
    client: node.clientHeight
  }));
  expect(size.client).toBeGreaterThan(0);
  expect(size.scroll).toBeLessThanOrEqual(size.client);
});

test('a form opens on demand, takes Enter, and Escape or Cancel closes it', async ({
  page
}) => {
  const sodar = await openPortalSection(page, SODAR);
  await sodar.getByRole('button', { name: 'New token…' }).click();
  // The first field has the focus: typing goes straight in.
  await expect(sodar.getByLabel('Username')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(sodar.getByText('Enter your username.')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(sodar.getByLabel('Username')).toHaveCount(0);
  // The focus goes back to where the form was opened.
  await expect(sodar.getByRole('button', { name: 'New token…' })).toBeFocused();
  await sodar.getByRole('button', { name: 'New token…' }).click();
  await sodar.getByRole('button', { name: 'Cancel' }).click();
  await expect(sodar.getByLabel('Username')).toHaveCount(0);
  await expect(sodar.getByRole('button', { name: 'New token…' })).toBeVisible();
});

test('a folded card stays folded after a reload (JupyterLab’s state database)', async ({
  page
}) => {
  const xdmod = await openPortalSection(page, XDMOD);
  const generate = xdmod.getByRole('button', { name: 'Generate token' });
  await expect(generate).toBeVisible();
  await expect(toggle(xdmod)).toHaveAttribute('aria-expanded', 'true');
  // JupyterLab writes its state database into the workspace a moment after a change.
  const saved = page.waitForRequest(
    request =>
      request.method() === 'PUT' &&
      request.url().includes('/api/workspaces') &&
      (request.postData() ?? '').includes('jupyterlab-portal-token:panel')
  );
  await toggle(xdmod).click();
  await expect(toggle(xdmod)).toHaveAttribute('aria-expanded', 'false');
  await expect(generate).toBeHidden();
  // The chip still says the state.
  await expect(xdmod.getByText('No token', { exact: true })).toBeVisible();

  // Only portal ids are kept there.
  expect(JSON.parse((await saved).postData()!).data).toMatchObject({
    'jupyterlab-portal-token:panel': { collapsed: ['xdmod'] }
  });
  await page.reload();
  const again = await openPortalSection(page, XDMOD);
  await expect(toggle(again)).toHaveAttribute('aria-expanded', 'false');
  await expect(
    again.getByRole('button', { name: 'Generate token' })
  ).toBeHidden();
  // Other cards are not affected; unfolding shows the action again.
  const sodar = await openPortalSection(page, SODAR);
  await expect(toggle(sodar)).toHaveAttribute('aria-expanded', 'true');
  await toggle(again).press('Enter');
  await expect(
    again.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
});

test('a live card: its chip, the kernels it is in, and the “use it” buttons as the commands say', async ({
  page
}) => {
  // The snippet commands, as the commands plugin registers them (stand-ins when it does not).
  await page.evaluate(() => {
    const commands = window.jupyterapp.commands;
    for (const id of [
      'jupyterlab-portal-token:insert-snippet',
      'jupyterlab-portal-token:copy-snippet'
    ]) {
      if (!commands.hasCommand(id)) {
        const win = window as unknown as Record<string, unknown>;
        commands.addCommand(id, {
          label: id,
          isEnabled: args => args.portal === 'xdmod' && !win.__snippetsOff,
          execute: args => {
            win.__ran = `${id} ${String(args.portal)}`;
          }
        });
      }
    }
  });
  await newNotebook(page, 'python3');
  const xdmod = await openPortalSection(page, XDMOD);
  await xdmod.getByRole('button', { name: 'Generate token' }).click();
  await expect(xdmod.getByText(/^Live · \d+ d$/)).toBeVisible();
  // The server keeps it: new terminals get it too (none is open yet).
  const kernels = xdmod.getByText('Live in 1 kernel; new terminals get it', {
    exact: true
  });
  await expect(kernels).toBeVisible();
  await kernels.click();
  await expect(
    xdmod.getByRole('list', { name: 'Kernels' }).getByRole('listitem')
  ).toContainText(/python3 \(\w{8}\) · python · has the token/);

  const insert = xdmod.getByRole('button', { name: 'Insert into notebook' });
  const copy = xdmod.getByRole('button', { name: 'Copy snippet' });
  await expect(insert).toBeEnabled();
  await expect(copy).toBeEnabled();
  // Disabled as soon as the command says so.
  const standIns = await page.evaluate(() => {
    const commands = window.jupyterapp.commands;
    const id = 'jupyterlab-portal-token:insert-snippet';
    if (commands.label(id) !== id) {
      return false;
    }
    (window as unknown as Record<string, unknown>).__snippetsOff = true;
    commands.notifyCommandChanged(id);
    return true;
  });
  if (standIns) {
    await expect(insert).toBeDisabled();
    await page.evaluate(() => {
      (window as unknown as Record<string, unknown>).__snippetsOff = false;
      window.jupyterapp.commands.notifyCommandChanged();
    });
    await insert.click();
    expect(
      await page.evaluate(
        () => (window as unknown as Record<string, unknown>).__ran
      )
    ).toBe('jupyterlab-portal-token:insert-snippet xdmod');
  }
  await xdmod.getByRole('button', { name: 'Revoke token' }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Revoke', exact: true })
    .click();
  await expect(insert).toHaveCount(0);
});

test('a live card counts the terminals that hold the token and names each, as they open', async ({
  page
}) => {
  /** Open a terminal from the File menu; the name its tab shows. */
  const openTerminal = async () => {
    const before = await page
      .getByRole('tab', { name: /^Terminal \d+$/ })
      .count();
    await page.menu.clickMenuItem('File>New>Terminal');
    const tabs = page.getByRole('tab', { name: /^Terminal \d+$/ });
    await expect(tabs).toHaveCount(before + 1);
    return (await tabs.last().innerText()).trim();
  };
  const older = await openTerminal();
  const xdmod = await openPortalSection(page, XDMOD);
  await xdmod.getByRole('button', { name: 'Generate token' }).click();
  // No terminal holds it yet; the next one will.
  const waiting = xdmod.getByText(
    /^Live in \d+ kernels?; new terminals get it$/
  );
  await expect(waiting).toBeVisible();
  await waiting.click();
  const terminals = xdmod.getByRole('list', { name: 'Terminals' });
  await expect(terminals.getByRole('listitem')).toHaveText([
    `${older} · shell · opened before the token: open a new terminal`
  ]);

  // A terminal opened now has it: counted and named without a reload.
  const newer = await openTerminal();
  await expect(
    xdmod.getByText(/^Live in \d+ kernels?, 1 terminal$/)
  ).toBeVisible();
  await expect(waiting).toHaveCount(0);
  await expect(terminals.getByRole('listitem')).toHaveText([
    `${older} · shell · opened before the token: open a new terminal`,
    `${newer} · shell · has the token`
  ]);
});

test('no portal configured: the panel says how an administrator adds one, with an example to copy', async ({
  page
}) => {
  await setPortals(page, []);
  const panel = await openTokenPanel(page);
  await expect(panel).toContainText('No portal is configured.');
  await expect(panel).toContainText('overrides.json');
  const example = panel.locator('pre');
  await expect(example).toContainText('"jupyterlab-portal-token:plugin"');
  const parsed = JSON.parse(await example.innerText());
  expect(parsed['jupyterlab-portal-token:plugin'].portals[0].kind).toBe(
    'xdmod'
  );
  await panel
    .getByRole('button', { name: 'Copy the overrides.json example' })
    .click();
  await expect(
    page
      .locator('.jl-toast-container, .Toastify')
      .getByText('Example copied to the clipboard.')
  ).toBeVisible();
});
