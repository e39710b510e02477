import { expect } from '@jupyterlab/galata';
import { openTokenPanel, setPortals, test, XDMOD } from './helpers';

test('bad portal settings are explained in the panel, and the good portal keeps working', async ({
  page
}) => {
  await setPortals(page, [
    {
      id: 'bad-url',
      kind: 'xdmod',
      label: 'Bad URL',
      url: 'javascript:alert(1)'
    },
    { id: 'bad-kind', kind: 'openstack', label: 'Unknown kind' },
    {
      id: 'empty-var',
      kind: 'xdmod',
      label: 'Empty variable',
      envVars: { token: '' }
    },
    {
      id: 'bad-var',
      kind: 'sodar',
      label: 'Bad variable',
      url: '/sodar/',
      envVars: { token: 'SODAR-TOKEN' }
    },
    { id: 'xdmod', kind: 'xdmod', label: XDMOD, url: '/' }
  ]);
  const panel = await openTokenPanel(page);
  const section = (label: string) =>
    panel.getByRole('region', { name: label, exact: true });

  await expect(section('Bad URL').getByRole('alert')).toContainText(
    '"javascript:alert(1)" is not a valid http(s) URL.'
  );
  await expect(section('Unknown kind').getByRole('alert')).toContainText(
    'Unknown portal kind "openstack".'
  );
  await expect(section('Empty variable').getByRole('alert')).toContainText(
    "The token's environment variable has an empty name"
  );
  await expect(section('Bad variable').getByRole('alert')).toContainText(
    '"SODAR-TOKEN" is not a valid environment variable name'
  );

  // The good portal next to them works as ever.
  const xdmod = section(XDMOD);
  await xdmod.getByRole('button', { name: 'Generate token' }).click();
  await expect(xdmod.getByRole('button', { name: 'Copy token' })).toBeVisible();
  // Nothing was made for the broken entries: no button but the one that folds the card.
  for (const label of ['Bad URL', 'Unknown kind']) {
    await expect(section(label).getByRole('button')).toHaveCount(1);
    await expect(
      section(label).getByRole('heading').getByRole('button')
    ).toHaveAttribute('aria-expanded', 'true');
    await expect(
      section(label).getByText('Misconfigured', { exact: true })
    ).toBeVisible();
  }
});
