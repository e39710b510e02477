import type { APIRequestContext } from '@playwright/test';
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  answerDialog,
  cellOutput,
  keptTokens,
  newNotebook,
  openPortalSection,
  PYTHON_USE_TOKEN,
  test,
  XDMOD
} from './helpers';

test.describe.configure({ mode: 'serial' });

/** A cell printing the first 16 hex digits of the token's SHA-256 (never the token), or unset. */
const PYTHON_DIGEST =
  'import os, hashlib; _t = os.environ.get("XDMOD_API_TOKEN"); print(hashlib.sha256(_t.encode()).hexdigest()[:16] if _t else "unset")';

/**
 * Open a new terminal as a person does (the command, then typing), have it write the same
 * digest as `PYTHON_DIGEST` (or `unset`) into a file, and read that file back.
 */
async function terminalDigest(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  baseURL: string | undefined,
  folder: string,
  file: string
): Promise<string> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('terminal:create-new');
  });
  const terminal = page.locator('.jp-Terminal').last();
  await expect(terminal).toBeVisible();
  // The shell is ready once xterm shows its prompt's cursor row.
  await expect(terminal.locator('.xterm-helper-textarea')).toBeAttached();
  await terminal.click();
  const target = `${folder}/${file}`;
  await page.keyboard.type(
    `if [ -n "$XDMOD_API_TOKEN" ]; then printf %s "$XDMOD_API_TOKEN" | sha256sum | cut -c1-16; else echo unset; fi > "$JUPYTER_SERVER_ROOT/${target}"\n`
  );
  let text = '';
  await expect
    .poll(
      async () => {
        const response = await request.get(
          `${baseURL}/api/contents/${folder}/${file}?content=1&type=file&format=text`
        );
        if (!response.ok()) {
          return '';
        }
        text = ((await response.json()).content as string).trim();
        return text;
      },
      { timeout: 30000 }
    )
    .not.toBe('');
  return text;
}

test('a token made here survives a reload; new notebooks, REST kernels and terminals get it at launch; revoke takes it out of all', async ({
  page,
  request,
  baseURL,
  tmpPath
}) => {
  test.setTimeout(300000);
  let section = await openPortalSection(page, XDMOD);
  await expect(section).toContainText('You have no API token at XDMoD (demo).');
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    section.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await expect(section).toContainText('Token known here');
  // The server lists names, never values.
  expect(await keptTokens(request, baseURL)).toEqual([
    expect.objectContaining({
      portal: 'xdmod',
      names: ['XDMOD_API_TOKEN', 'XDMOD_HOST']
    })
  ]);

  // After a reload the token is still live here: copy and revoke, nothing to replace.
  await page.reload();
  section = await openPortalSection(page, XDMOD);
  await expect(
    section.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
  await expect(
    section.getByRole('button', { name: 'Copy token' })
  ).toBeVisible();
  await expect(
    section.getByRole('button', { name: 'Replace token' })
  ).toHaveCount(0);
  await expect(section).toContainText('Token known here');
  await expect(section).toContainText(
    'terminals opened before keep what they had'
  );

  // A new notebook's first cell sees it, and the portal accepts it.
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: set status: 200');
  await page.notebook.addCell('code', PYTHON_DIGEST);
  await page.notebook.runCell(1, true);
  const digest = await cellOutput(page, 1);
  expect(digest).toMatch(/^[0-9a-f]{16}$/);
  await expect(section).toContainText('Live in 1 kernel');

  // A kernel started over the REST API, with no notebook: the server gave it the token at
  // launch (its record says so), and code run in it sees the same token.
  const started = await request.post(`${baseURL}/api/kernels`, {
    data: { name: 'python3' }
  });
  expect(started.status()).toBe(201);
  const kernelId = ((await started.json()) as { id: string }).id;
  const records = await request.get(`${baseURL}/portal-token/kernels`);
  expect(
    ((await records.json()) as { kernels: Record<string, object> }).kernels[
      kernelId
    ]
  ).toHaveProperty('xdmod');
  const restDigest = await page.evaluate(
    async ([id, code]) => {
      const kernel = window.jupyterapp.serviceManager.kernels.connectTo({
        model: { id, name: 'python3' }
      });
      let out = '';
      const future = kernel.requestExecute({ code });
      future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') {
          out += (msg.content as { text: string }).text;
        }
      };
      await future.done;
      kernel.dispose();
      return out.trim();
    },
    [kernelId, PYTHON_DIGEST] as const
  );
  expect(restDigest).toBe(digest);

  // A new terminal has the same token.
  expect(
    await terminalDigest(page, request, baseURL, tmpPath, 'before.txt')
  ).toBe(digest);

  // Revoked: gone from the server, and neither a new notebook nor a new terminal gets it.
  await section.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(section).toContainText('You have no API token at XDMoD (demo).');
  expect(await keptTokens(request, baseURL)).toEqual([]);
  await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  await page.notebook.runCell(0, true);
  expect(await cellOutput(page, 0)).toBe('token: MISSING status: -');
  expect(
    await terminalDigest(page, request, baseURL, tmpPath, 'after.txt')
  ).toBe('unset');
});
