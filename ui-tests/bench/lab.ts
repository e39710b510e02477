import { Browser, expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The benchmark's scratch space, where no linter or test looks (and git ignores it).
 */
export const CACHE_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'portal-token-bench'
);

/**
 * A config folder of the benchmark's own, first on JupyterLab's config path (bench.config.ts):
 * its `labconfig/page_config.json` switches the extension off for the "disabled" startup runs
 * (JupyterLab reads it on every page load). The venv's config is never touched.
 */
export const BENCH_CONFIG_DIR = path.join(CACHE_DIR, 'config');

/**
 * Switch the extension on or off for the pages loaded from now on, with JupyterLab's own
 * `disabledExtensions` page config in `BENCH_CONFIG_DIR` (the server half stays on).
 */
export function setExtensionEnabled(enabled: boolean): void {
  const file = path.join(BENCH_CONFIG_DIR, 'labconfig', 'page_config.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify(
      enabled ? {} : { disabledExtensions: { 'jupyterlab-portal-token': true } }
    )
  );
}

/**
 * The portal id of the demo's XDMoD (demo/overrides.json).
 */
export const PORTAL_ID = 'xdmod';

/**
 * Open JupyterLab in its own workspace (a fresh default layout) and wait for `app.restored`.
 */
export async function openLab(
  page: Page,
  baseURL: string,
  workspace: string
): Promise<void> {
  await page.goto(`${baseURL}/lab/workspaces/${workspace}`);
  await page.waitForFunction(() => (window as any).jupyterapp !== undefined);
  await page.waitForFunction(
    () => {
      const app = (window as any).jupyterapp;
      void app.restored.then(() => (app.__benchRestored = true));
      return app.__benchRestored === true;
    },
    null,
    { timeout: 120000, polling: 100 }
  );
}

/**
 * The "API tokens" panel, opened by its tab.
 */
export async function tokenPanel(page: Page) {
  const panel = page.getByRole('region', { name: 'API tokens' });
  if (!(await panel.isVisible())) {
    await page.getByRole('tab', { name: 'API tokens' }).click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/**
 * The XDMoD section of the panel (other portals may be configured next to it).
 */
export async function xdmodSection(page: Page) {
  const panel = await tokenPanel(page);
  return panel.getByRole('region', { name: 'XDMoD (demo)' });
}

/**
 * Generate a token in the panel, as a person does, and wait until the panel shows it live.
 */
export async function generateToken(page: Page): Promise<void> {
  const panel = await xdmodSection(page);
  await panel.getByRole('button', { name: 'Generate token' }).click();
  await expect(
    panel.getByRole('button', { name: 'Revoke token' })
  ).toBeVisible();
}

/**
 * Revoke the token in the panel and confirm.
 */
export async function revokeToken(page: Page): Promise<void> {
  const panel = await xdmodSection(page);
  await panel.getByRole('button', { name: 'Revoke token' }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Revoke', exact: true })
    .click();
  await expect(
    panel.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
}

/**
 * Forget every token on the demo portal (a test hook of the demo).
 */
export async function resetPortal(page: Page, baseURL: string): Promise<void> {
  const response = await page.request.post(
    new URL('/__demo__/reset', baseURL).href
  );
  expect(response.ok()).toBe(true);
}

/**
 * Shut down every session and kernel on the server (between benchmarks).
 */
export async function shutdownAll(page: Page, baseURL: string): Promise<void> {
  const sessions = await page.request.get(`${baseURL}/api/sessions`);
  for (const session of (await sessions.json()) as { id: string }[]) {
    await page.request.delete(`${baseURL}/api/sessions/${session.id}`);
  }
  const kernels = await page.request.get(`${baseURL}/api/kernels`);
  for (const kernel of (await kernels.json()) as { id: string }[]) {
    await page.request.delete(`${baseURL}/api/kernels/${kernel.id}`);
  }
}

/**
 * Run a benchmark in a page of a browser context of its own, in a fresh workspace, with no
 * kernel running and the portal's tokens forgotten; every kernel is shut down again after it,
 * also when it fails.
 */
export async function inFreshLab<T>(
  browser: Browser,
  options: {
    storageState: string;
    baseURL: string;
    workspace: string;
    initScript?: () => void;
  },
  body: (page: Page) => Promise<T>
): Promise<T> {
  const context = await browser.newContext({
    storageState: options.storageState
  });
  if (options.initScript) {
    await context.addInitScript(options.initScript);
  }
  const page = await context.newPage();
  try {
    await shutdownAll(page, options.baseURL);
    await resetPortal(page, options.baseURL);
    await openLab(page, options.baseURL, options.workspace);
    return await body(page);
  } finally {
    await shutdownAll(page, options.baseURL);
    await context.close();
  }
}

/**
 * The records (never a value) of the tokens the Jupyter server holds now.
 */
export async function serverTokens(
  page: Page,
  baseURL: string
): Promise<{ portal: string; version: string; kernels: boolean }[]> {
  const response = await page.request.get(`${baseURL}/portal-token/tokens`);
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { tokens: any[] }).tokens;
}

/**
 * Wait until `check` returns a value that is not undefined, polling; fails after `timeoutMs`.
 */
export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  intervalMs = 20
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/**
 * An environment setting as a positive number, or its default.
 */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
