import { expect } from '@jupyterlab/galata';
import {
  answerDialog,
  test,
  cellOutput,
  newNotebook,
  openPortalSection,
  XDMOD,
  PYTHON_USE_TOKEN
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('generate → every kernel has the token → restart keeps it → revoke scrubs it', async ({
  page
}) => {
  test.setTimeout(240000);

  // A notebook whose kernel runs before the token exists.
  // New notebooks by command: Galata's createNew renames after the session starts, and a
  // later notebook can then be given the same session (and kernel).
  const before = await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING status: -');

  const panel = await openPortalSection(page, XDMOD);
  await expect(panel).toContainText('You have no API token at XDMoD (demo).');
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    panel.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await expect(panel).toContainText(/Expires .+\(in \d+ months?\)/);
  await expect(panel).toContainText('Live in 1 kernel');
  await expect(panel.getByRole('button', { name: 'Copy token' })).toBeVisible();

  // Only the first 8 characters are shown, and the secret is in no browser storage.
  const preview = (await panel.locator('code').innerText()).replace('…', '');
  expect(preview).toMatch(/^\d+\.[0-9a-f]+$/);
  expect(preview).toHaveLength(8);
  const stored = await page.evaluate(
    () =>
      JSON.stringify({ ...localStorage }) +
      JSON.stringify({ ...sessionStorage })
  );
  expect(stored).not.toContain(preview);

  // The running kernel got it, and the portal accepts it.
  await page.notebook.activate(before);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');
  // Keep the token in a Python variable to try it after revoking.
  await page.notebook.addCell('code', '_old = _tok');
  await page.notebook.runCell(1, true);

  // A restart keeps it: the kernel gets it again before the next cell.
  await page.menu.clickMenuItem('Kernel>Restart Kernel…');
  await answerDialog(page, 'Confirm Kernel Restart');
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');
  await page.notebook.runCell(1, true);

  // A new Python notebook has it.
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');

  // An R notebook has it.
  await newNotebook(page, 'ir');
  await page.notebook.setCell(
    0,
    'code',
    'cat("token:", if (nchar(Sys.getenv("XDMOD_API_TOKEN")) > 0) "set" else "MISSING", "\\n")'
  );
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set');
  await expect(panel).toContainText('Live in 3 kernels');

  // Revoke asks first, then the variable is gone everywhere and the old token is refused.
  await panel.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(
    panel.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();

  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING');
  await page.notebook.activate(before);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING status: -');
  // Cell 1 kept the old token in `_old` (it ran after the restart): try it now.
  await page.notebook.setCell(
    1,
    'code',
    'print("old token status:", _status(_old))'
  );
  await page.notebook.runCell(1, true);
  expect(await cellOutput(page, 1)).toBe('old token status: 401');
});

test('a cell run the instant a new kernel is ready already sees the token', async ({
  page,
  request,
  baseURL,
  tmpPath
}) => {
  const panel = await openPortalSection(page, XDMOD);
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    panel.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();

  // A saved notebook, opened and run at once: the run is queued before its kernel is up.
  const path = `${tmpPath}/fast.ipynb`;
  const saved = await request.put(`${baseURL}/api/contents/${path}`, {
    data: {
      type: 'notebook',
      content: {
        cells: [
          {
            cell_type: 'code',
            execution_count: null,
            metadata: {},
            outputs: [],
            source: PYTHON_USE_TOKEN
          }
        ],
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3',
            language: 'python'
          }
        },
        nbformat: 4,
        nbformat_minor: 5
      }
    }
  });
  expect(saved.status()).toBe(201);
  const state = await page.evaluate(async notebookPath => {
    const app = window.jupyterapp;
    const widget = await app.commands.execute('docmanager:open', {
      path: notebookPath,
      factory: 'Notebook'
    });
    // The moment the notebook has a kernel connection, before that kernel is ready.
    const context = widget.sessionContext;
    await new Promise<void>(resolve => {
      const check = () => {
        if (context.session?.kernel) {
          resolve();
        }
      };
      context.kernelChanged.connect(check);
      check();
    });
    const status = context.session.kernel.status;
    // Run now, without waiting for the kernel: the cell is queued behind the token.
    void app.commands.execute('notebook:run-all-cells');
    return status;
  }, path);
  expect(['unknown', 'starting']).toContain(state);
  await page.notebook.waitForRun(0);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');
});
