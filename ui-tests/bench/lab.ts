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
 * The benchmark server's own JupyterLab user settings directory, so that the settings the relay
 * benchmark writes reach neither the user's `~/.jupyter/lab/user-settings` nor the ui-tests'
 * server, which reads that one.
 */
export const BENCH_USER_SETTINGS_DIR = path.join(CACHE_DIR, 'user-settings');

// Written when bench.config.ts imports this module, before Playwright starts the server, which
// reads `jupyter_lab_config.json` from every folder of its config path.
fs.mkdirSync(BENCH_CONFIG_DIR, { recursive: true });
fs.writeFileSync(
  path.join(BENCH_CONFIG_DIR, 'jupyter_lab_config.json'),
  JSON.stringify(
    { LabApp: { user_settings_dir: BENCH_USER_SETTINGS_DIR } },
    null,
    2
  ) + '\n'
);

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
 * The portal id of the demo's XDMoD (in the `overrides.json` the demo writes for JupyterLab).
 */
export const PORTAL_ID = 'xdmod';

/**
 * Whether a request of a JupyterLab page at `baseURL` (e.g. `http://127.0.0.1:8831/jupyter`)
 * goes to a portal: anything outside JupyterLab (XDMoD on JupyterLab's origin, SODAR and the
 * Axivion Dashboard on theirs), and the calls JupyterLab's relay makes for the page
 * (`<base>/portal-token/relay/…`, how the panel reaches a portal without CORS headers).
 */
export function isPortalRequest(url: string, baseURL: string): boolean {
  const base = baseURL.replace(/\/+$/, '');
  return (
    !url.startsWith(`${base}/`) || url.startsWith(`${base}/portal-token/relay/`)
  );
}

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

/** The extension's settings, as JupyterLab names them. */
const PLUGIN_ID = 'jupyterlab-portal-token:plugin';

/** One entry of the extension's `portals` setting. */
export interface IPortalSetting {
  id: string;
  kind: 'xdmod' | 'sodar' | 'axivion';
  label?: string;
  url: string;
  via?: 'auto' | 'browser' | 'server';
}

/** Where the relay benchmark configures its portals on the Jupyter server. */
export type PortalsWhere = 'user settings' | 'administrator overrides';

/**
 * The administrator's overrides of the benchmark server alone: JupyterLab applies a
 * `labconfig/default_setting_overrides.json` of its config path over `overrides.json`.
 */
const BENCH_OVERRIDES_FILE = path.join(
  BENCH_CONFIG_DIR,
  'labconfig',
  'default_setting_overrides.json'
);

/**
 * How long after a write the relay reads a settings file again on every call (its
 * `SETTINGS_SETTLE_S`, in jupyterlab_portal_token/relay.py): two writes within one timestamp tick
 * would otherwise look alike. After that, it keeps what it read until a file changes.
 */
export const RELAY_SETTINGS_SETTLE_MS = 2000;

/**
 * Run `body` with `portals` added to the extension's `portals` on the Jupyter server, which the
 * relay reads again whenever one of their files changed; `body` switches between two ways to configure them: the user's
 * settings (written through JupyterLab's settings API), or the administrator's overrides (in
 * the benchmark's config folder, the user's settings left as they were). Both are put back as
 * they were afterwards, also when `body` fails. `use` returns how many portals the list holds
 * and the size of the file that holds it.
 */
export async function withServerPortals<T>(
  page: Page,
  baseURL: string,
  portals: IPortalSetting[],
  body: (
    use: (where: PortalsWhere) => Promise<{ portals: number; bytes: number }>
  ) => Promise<T>
): Promise<T> {
  const url = `${baseURL}/lab/api/settings/${PLUGIN_ID}`;
  // Left by a run cut short: only the benchmark's server reads it.
  fs.rmSync(BENCH_OVERRIDES_FILE, { force: true });
  const before = await page.request.get(url);
  expect(before.ok()).toBe(true);
  // `settings` is the user's own; `schema` has the administrator's overrides as its defaults.
  const current = (await before.json()) as {
    raw: string;
    settings: { portals?: IPortalSetting[] };
    schema: { properties: { portals?: { default?: IPortalSetting[] } } };
  };
  const ours = new Set(portals.map(portal => portal.id));
  // The portals configured now (the demo's overrides.json) and ours: a list replaces the one
  // below it, so a page loaded meanwhile still shows the demo's portals.
  const list = [
    ...(
      current.settings.portals ??
      current.schema.properties.portals?.default ??
      []
    ).filter(portal => !ours.has(portal.id)),
    ...portals
  ];
  const put = async (raw: string) => {
    const response = await page.request.put(url, { data: { raw } });
    expect(response.status()).toBe(204);
  };
  const userFile = path.join(
    BENCH_USER_SETTINGS_DIR,
    'jupyterlab-portal-token',
    'plugin.jupyterlab-settings'
  );
  const use = async (where: PortalsWhere) => {
    if (where === 'user settings') {
      fs.rmSync(BENCH_OVERRIDES_FILE, { force: true });
      await put(JSON.stringify({ portals: list }, null, 2));
      // Only in the benchmark server's own settings directory (see BENCH_USER_SETTINGS_DIR).
      expect(
        fs.existsSync(userFile) && fs.readFileSync(userFile, 'utf-8'),
        `the settings in ${BENCH_USER_SETTINGS_DIR}`
      ).toContain(JSON.stringify(portals[0].id));
      return { portals: list.length, bytes: fs.statSync(userFile).size };
    }
    // A user's own list would hide the administrator's.
    expect(current.settings.portals).toBeUndefined();
    await put(current.raw);
    fs.mkdirSync(path.dirname(BENCH_OVERRIDES_FILE), { recursive: true });
    fs.writeFileSync(
      BENCH_OVERRIDES_FILE,
      JSON.stringify({ [PLUGIN_ID]: { portals: list } }, null, 2)
    );
    // JupyterLab's settings API keeps the overrides it read at start (so it cannot confirm
    // this); the relay reads them again once they changed: a relayed call answered by the
    // portal, with the user's settings empty, is the proof.
    return {
      portals: list.length,
      bytes: fs.statSync(BENCH_OVERRIDES_FILE).size
    };
  };
  try {
    return await body(use);
  } finally {
    fs.rmSync(BENCH_OVERRIDES_FILE, { force: true });
    await put(current.raw);
  }
}
