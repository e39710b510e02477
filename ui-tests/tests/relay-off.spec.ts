import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  AXIVION,
  hubUrl,
  openForm,
  openPortalSection,
  SODAR,
  test,
  XDMOD
} from './helpers';

/**
 * A Jupyter server whose administrator turned the relay off (`PortalTokenRelay.enabled =
 * False`; playwright.config.ts starts this demo with it): every portal on another origin says
 * so, naming the setting, and XDMoD on JupyterLab's own origin still works from the browser.
 */
const TURNED_OFF =
  'the relay is turned off by the administrator (PortalTokenRelay.enabled)';

test('with the relay turned off, each portal on another origin names the setting', async ({
  page
}) => {
  test.setTimeout(180000);
  const sodar = await openPortalSection(page, SODAR);
  await openForm(sodar, 'New token…');
  await sodar.getByLabel('Username').fill('demo');
  await sodar.getByLabel('Password').fill('demo');
  await sodar.getByRole('button', { name: 'Generate token' }).click();
  await expect(sodar.getByRole('alert')).toContainText(
    `The Jupyter server could not relay the call to SODAR (demo): ${TURNED_OFF}`
  );

  const axivion = await openPortalSection(page, AXIVION);
  await openForm(axivion, 'Sign in…');
  await axivion.getByLabel('Username').fill('demo');
  await axivion.getByLabel('Password').fill('demo');
  await axivion.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(axivion.getByRole('alert')).toContainText(
    `The Jupyter server could not relay the call to Axivion Dashboard (demo): ${TURNED_OFF}`
  );

  // XDMoD is on this page's origin: the browser calls it with the portal session.
  const xdmod = await openPortalSection(page, XDMOD);
  await xdmod.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    xdmod.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await xdmod.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(
    xdmod.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();

  // The same JupyterLab from the hub's origin: XDMoD is on another origin there too.
  await page.goto(`${hubUrl()}jupyter/lab`);
  const fromHub = await openPortalSection(page, XDMOD);
  await expect(fromHub.getByRole('alert')).toContainText(
    `The Jupyter server could not relay the call to XDMoD (demo): ${TURNED_OFF}`
  );
});
