import type { APIRequestContext, Page } from '@playwright/test';
import { expect } from '@jupyterlab/galata';
import {
  AXIVION,
  cellOutput,
  generateIn,
  newNotebook,
  setPortals,
  SODAR,
  test,
  XDMOD
} from './helpers';

/**
 * "Use it": with a live token, the insert command puts the portal's snippet into the active
 * notebook, below the active cell, in the kernel's language; run as it is, with no edit, the
 * demo portal accepts the token. xdmod-data is not installed here, so XDMoD's Python snippet
 * takes its standard-library branch, the one the other kinds have only.
 */

test.describe.configure({ mode: 'serial' });

const INSERT = 'jupyterlab-portal-token:insert-snippet';
const COPY = 'jupyterlab-portal-token:copy-snippet';

/** Whether a command is enabled for a portal (`undefined`: no portal named). */
function isEnabled(page: Page, id: string, portal?: string) {
  return page.evaluate(
    ([command, name]) =>
      window.jupyterapp.commands.isEnabled(
        command,
        name === undefined ? {} : { portal: name }
      ),
    [id, portal] as const
  );
}

/** Execute a command for a portal, as the cards' buttons do. */
async function execute(page: Page, id: string, portal: string) {
  await page.evaluate(
    async ([command, name]) => {
      await window.jupyterapp.commands.execute(command, { portal: name });
    },
    [id, portal] as const
  );
}

/** The secret the Jupyter server keeps for a portal: it may show in no cell. */
async function secretOf(
  request: APIRequestContext,
  baseURL: string | undefined,
  portal: string
): Promise<string> {
  const response = await request.get(
    `${baseURL}/portal-token/tokens/${portal}/value`
  );
  expect(response.status()).toBe(200);
  const { variables, secretName } = (await response.json()) as {
    variables: Record<string, string>;
    secretName: string;
  };
  expect(variables[secretName].length).toBeGreaterThan(20);
  return variables[secretName];
}

const KINDS = [
  {
    label: XDMOD,
    id: 'xdmod',
    reads: [
      'from xdmod_data.warehouse import DataWarehouse',
      'dw = DataWarehouse()',
      'os.environ["XDMOD_API_TOKEN"]',
      'os.environ["XDMOD_HOST"]'
    ],
    answer: ['demo-cluster', 'demo-cloud']
  },
  {
    label: SODAR,
    id: 'sodar',
    reads: [
      '"Authorization": "token " + os.environ["SODAR_API_TOKEN"]',
      'os.environ["SODAR_SERVER_URL"]'
    ],
    answer: ['Demo Category', 'Demo Exomes']
  },
  {
    label: AXIVION,
    id: 'axivion',
    reads: [
      'os.environ["AXIVION_USERNAME"] + ":" + os.environ["AXIVION_PASSWORD"]',
      'os.environ["AXIVION_DASHBOARD_URL"]',
      '"X-Axivion-User-Agent": "ApiClient"'
    ],
    answer: ['demo-project', 'hpc-solver']
  }
] as const;

for (const kind of KINDS) {
  test(`${kind.label}: "insert snippet" adds a cell below the active one that runs as it is`, async ({
    page,
    request,
    baseURL
  }) => {
    test.setTimeout(180000);
    await newNotebook(page, 'python3');
    await page.notebook.setCell(0, 'code', 'first = 1');
    await page.notebook.addCell('markdown', 'The end.');
    await page.notebook.selectCells(0);
    // No token yet: nothing to insert.
    expect(await isEnabled(page, INSERT, kind.id)).toBe(false);
    expect(await isEnabled(page, COPY, kind.id)).toBe(false);

    await generateIn(page, kind.label);
    expect(await isEnabled(page, INSERT, kind.id)).toBe(true);
    expect(await isEnabled(page, INSERT)).toBe(true);
    await execute(page, INSERT, kind.id);

    // A new code cell between the two, active, holding the snippet.
    await expect
      .poll(() => page.notebook.getCellTextInput(1))
      .toContain(kind.reads[0]);
    expect(await page.notebook.getCellType(1)).toBe('code');
    expect(await page.notebook.getCellTextInput(2)).toBe('The end.');
    const text = await page.notebook.getCellTextInput(1);
    for (const read of kind.reads) {
      expect(text).toContain(read);
    }

    // Run with no edit: the portal answers the token.
    await page.notebook.runCell(1, true);
    const output = await cellOutput(page, 1);
    expect(output).toContain('HTTP 200');
    for (const name of kind.answer) {
      expect(output).toContain(name);
    }
    const secret = await secretOf(request, baseURL, kind.id);
    expect(text).not.toContain(secret);
    expect(output).not.toContain(secret);

    // Without an active notebook there is nowhere to insert; copying still works.
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('launcher:create');
    });
    await expect.poll(() => isEnabled(page, INSERT, kind.id)).toBe(false);
    expect(await isEnabled(page, COPY, kind.id)).toBe(true);
  });
}

test('XDMoD with variables renamed in the settings: the snippet reads those names and runs', async ({
  page
}) => {
  test.setTimeout(180000);
  await setPortals(page, [
    {
      id: 'xdmod',
      kind: 'xdmod',
      label: XDMOD,
      url: '/',
      envVars: { token: 'HPC_TOKEN', host: 'HPC_HOST' }
    }
  ]);
  await newNotebook(page, 'python3');
  await generateIn(page, XDMOD);
  await execute(page, INSERT, 'xdmod');
  await expect
    .poll(() => page.notebook.getCellTextInput(1))
    .toContain('dw = DataWarehouse(os.environ["HPC_HOST"])');
  const text = await page.notebook.getCellTextInput(1);
  expect(text).toContain('"Bearer " + os.environ["HPC_TOKEN"]');
  expect(text).not.toContain('os.environ["XDMOD_API_TOKEN"]');
  await page.notebook.runCell(1, true);
  const output = await cellOutput(page, 1);
  expect(output).toContain('HTTP 200');
  expect(output).toContain('demo-cluster');
});

test('XDMoD in an R notebook: the R snippet, run in IRkernel', async ({
  page,
  request,
  baseURL
}) => {
  test.setTimeout(180000);
  await newNotebook(page, 'ir');
  await generateIn(page, XDMOD);
  await execute(page, INSERT, 'xdmod');
  await expect
    .poll(() => page.notebook.getCellTextInput(1))
    .toContain('Sys.getenv("XDMOD_API_TOKEN")');
  const text = await page.notebook.getCellTextInput(1);
  expect(text).not.toContain('os.environ');
  await page.notebook.runCell(1, true);
  const output = await cellOutput(page, 1);
  expect(output).toContain('demo-cluster');
  expect(output).toContain('demo-cloud');
  const secret = await secretOf(request, baseURL, 'xdmod');
  expect(text).not.toContain(secret);
  expect(output).not.toContain(secret);
});

test('"copy snippet" puts the active notebook\'s language on the clipboard; both are in the palette', async ({
  page,
  context
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await newNotebook(page, 'ir');
  await generateIn(page, XDMOD);
  await execute(page, COPY, 'xdmod');
  await expect(
    page.getByText('R snippet for XDMoD (demo) copied to the clipboard.')
  ).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('Sys.getenv("XDMOD_API_TOKEN")');
  // The clipboard gets the same text the insert command puts into a cell.
  await execute(page, INSERT, 'xdmod');
  await expect
    .poll(() => page.notebook.getCellTextInput(1))
    .toBe(copied.replace(/\n$/, ''));

  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#command-palette');
  await palette.getByRole('textbox').fill('snippet');
  await expect(
    palette.getByText('Insert API Token Snippet into Notebook')
  ).toBeVisible();
  await expect(palette.getByText('Copy API Token Snippet')).toBeVisible();
});
