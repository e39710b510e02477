import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  AXIVION,
  cellOutput,
  generateIn,
  newNotebook,
  PYTHON_AXIVION,
  PYTHON_SODAR,
  PYTHON_USE_TOKEN,
  SODAR,
  test,
  XDMOD
} from './helpers';

test('three portals in one panel: variables side by side, scrubbed one portal at a time', async ({
  page
}) => {
  test.setTimeout(300000);
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.addCell('code', PYTHON_SODAR);
  await page.notebook.addCell('code', PYTHON_AXIVION);
  const run = async () => {
    const outputs: string[] = [];
    for (const index of [0, 1, 2]) {
      await page.notebook.runCell(index, true);
      outputs.push(await cellOutput(page, index));
    }
    return outputs;
  };
  expect(await run()).toEqual([
    'token: MISSING status: -',
    'sodar: MISSING -',
    'axivion: MISSING None -'
  ]);

  // Each portal in its own section, each with its own way in.
  const xdmod = await generateIn(page, XDMOD);
  const sodar = await generateIn(page, SODAR);
  const axivion = await generateIn(page, AXIVION);

  expect(await run()).toEqual([
    'token: set status: 200',
    'sodar: set 200',
    'axivion: set demo 200'
  ]);

  // Revoking XDMoD's token scrubs only XDMoD's variables.
  await xdmod.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(
    xdmod.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
  expect(await run()).toEqual([
    'token: MISSING status: -',
    'sodar: set 200',
    'axivion: set demo 200'
  ]);

  // Then SODAR's, then Axivion's.
  await sodar.getByRole('button', { name: 'Remove from kernels' }).click();
  await answerDialog(page, 'Remove');
  await axivion.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(axivion.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(await run()).toEqual([
    'token: MISSING status: -',
    'sodar: MISSING -',
    'axivion: MISSING None -'
  ]);
});
