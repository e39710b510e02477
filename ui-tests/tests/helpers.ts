import type { APIRequestContext, Locator, Page } from '@playwright/test';
import {
  expect,
  IJupyterLabPageFixture,
  test as galataTest
} from '@jupyterlab/galata';
import type { PartialJSONObject, PartialJSONValue } from '@lumino/coreutils';
import * as path from 'path';

/**
 * Galata's test, with `tmpPath` made under JupyterLab's base URL (/jupyter/): Galata's own
 * fixture calls `/api/contents` at the origin's root, which is the portal here, not JupyterLab.
 * Each test starts from a demo portal without tokens and ends with no kernel running.
 */
export const test = galataTest.extend<{
  cleanPortal: void;
  shutdownKernels: void;
}>({
  // Before the page loads, so the panel never sees an earlier test's token.
  cleanPortal: [
    async ({ request, baseURL }, use) => {
      await resetPortal(request, baseURL);
      await forgetKeptTokens(request, baseURL);
      await use();
    },
    { auto: true }
  ],
  tmpPath: async ({ request, baseURL }, use, testInfo) => {
    const folder = path.basename(testInfo.outputDir).replace(/-retry\d+$/i, '');
    const url = `${baseURL}/api/contents/${encodeURIComponent(folder)}`;
    await request.delete(url);
    const created = await request.put(url, { data: { type: 'directory' } });
    expect(created.status()).toBe(201);
    await use(folder);
    await request.delete(url);
  },
  // Galata's kernel and session trackers route `/api/kernels/*` and answer a kernel restart
  // with 201 (JupyterLab expects 200), and clean up at the origin's root: off, and our own
  // clean-up below instead.
  kernels: async ({}, use) => {
    await use(null);
  },
  sessions: async ({}, use) => {
    await use(null);
  },
  shutdownKernels: [
    async ({ request, baseURL }, use) => {
      await use();
      const sessions = await request.get(`${baseURL}/api/sessions`);
      for (const session of (await sessions.json()) as { id: string }[]) {
        await request.delete(`${baseURL}/api/sessions/${session.id}`);
      }
      const kernels = await request.get(`${baseURL}/api/kernels`);
      for (const kernel of (await kernels.json()) as { id: string }[]) {
        await request.delete(`${baseURL}/api/kernels/${kernel.id}`);
      }
      const terminals = await request.get(`${baseURL}/api/terminals`);
      if (terminals.ok()) {
        for (const terminal of (await terminals.json()) as { name: string }[]) {
          await request.delete(`${baseURL}/api/terminals/${terminal.name}`);
        }
      }
    },
    { auto: true }
  ]
});

/**
 * The demo's XDMoD origin (also its test hooks'), e.g. `http://127.0.0.1:8811/`: the project
 * names the port; SODAR, the Axivion Dashboard and the hub are on the three after it.
 * (`baseURL` is not used: the hub's tests run JupyterLab on another origin.)
 */
export function portalUrl(baseURL?: string | undefined): string {
  return `http://127.0.0.1:${demoPort(0)}/`;
}

/** The demo's SODAR, on its own origin (`…:<port+1>/sodar/`). */
export function sodarUrl(): string {
  return `http://127.0.0.1:${demoPort(1)}/sodar/`;
}

/** The demo's Axivion Dashboard, on its own origin (`…:<port+2>/axivion/`). */
export function axivionUrl(): string {
  return `http://127.0.0.1:${demoPort(2)}/axivion/`;
}

/** The demo's hub: the same JupyterLab on no portal's origin (`…:<port+3>/`). */
export function hubUrl(): string {
  return `http://127.0.0.1:${demoPort(3)}/`;
}

/** The port of this project's demo (playwright.config.ts), plus `offset`. */
function demoPort(offset: number): number {
  const port = Number(galataTest.info().project.metadata.demoPort);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error('No demo port: run the ui-tests with their config.');
  }
  return port + offset;
}

/**
 * The page's calls to one portal from now on: those through the Jupyter server's relay (as
 * `METHOD path` below the portal's base) and those straight to the portal's origin.
 */
export function watchPortalCalls(
  page: Page,
  portalId: string,
  portalBase: string
): { relayed: string[]; direct: string[] } {
  const calls = { relayed: [] as string[], direct: [] as string[] };
  const origin = new URL(portalBase).origin;
  const relay = `/portal-token/relay/${portalId}/`;
  page.on('request', request => {
    const url = new URL(request.url());
    const at = url.pathname.indexOf(relay);
    if (at >= 0) {
      calls.relayed.push(
        `${request.method()} ${url.pathname.slice(at + relay.length)}`
      );
    } else if (url.origin === origin) {
      calls.direct.push(`${request.method()} ${url.pathname}`);
    }
  });
  return calls;
}

/**
 * Forget every token on the demo portal (a test hook of the demo, on in ui-tests only).
 */
export async function resetPortal(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<void> {
  const response = await request.post(`${portalUrl(baseURL)}__demo__/reset`);
  expect(response.ok()).toBe(true);
}

/**
 * Make the Jupyter server forget every live token it keeps (an earlier test's), through the
 * extension's own routes (the portal's proxy authenticates as JupyterLab's token).
 */
export async function forgetKeptTokens(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<void> {
  for (const token of await keptTokens(request, baseURL)) {
    const gone = await request.delete(
      `${baseURL}/portal-token/tokens/${encodeURIComponent(token.portal)}`
    );
    expect(gone.status()).toBe(204);
  }
}

/**
 * What the Jupyter server keeps (never values): portal ids and variable names.
 */
export async function keptTokens(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<{ portal: string; names: string[] }[]> {
  const listed = await request.get(`${baseURL}/portal-token/tokens`);
  expect(listed.status()).toBe(200);
  return (
    (await listed.json()) as { tokens: { portal: string; names: string[] }[] }
  ).tokens;
}

/**
 * Open the "API tokens" panel by its tab's accessible name and return its region.
 */
export async function openTokenPanel(page: Page) {
  const panel = page.getByRole('region', { name: 'API tokens' });
  if (!(await panel.isVisible())) {
    await page.getByRole('tab', { name: 'API tokens' }).click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/**
 * One portal's section of the panel (a region named by its heading), with the panel open.
 */
export async function openPortalSection(page: Page, label: string) {
  const panel = await openTokenPanel(page);
  const section = panel.getByRole('region', { name: label, exact: true });
  await expect(section).toBeVisible();
  return section;
}

/** The demo's portals as the demo's `overrides.json` labels them. */
export const XDMOD = 'XDMoD (demo)';
export const SODAR = 'SODAR (demo)';
export const AXIVION = 'Axivion Dashboard (demo)';

/**
 * Create a token "elsewhere" (another API client of the user), as Axivion's API allows.
 */
export async function createAxivionToken(
  request: APIRequestContext,
  baseURL: string | undefined,
  description: string
): Promise<void> {
  const base = axivionUrl();
  const headers = {
    Authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`,
    Accept: 'application/json',
    'X-Axivion-User-Agent': 'ApiClient'
  };
  const info = await request.get(`${base}api`, { headers });
  expect(info.ok()).toBe(true);
  const { csrfToken, userApiTokenUrl } = await info.json();
  const created = await request.post(new URL(userApiTokenUrl, base).href, {
    headers: { ...headers, 'AX-CSRF-Token': csrfToken },
    data: { password: 'demo', type: 'General', description, maxAgeMillis: 0 }
  });
  expect([200, 201]).toContain(created.status());
}

/**
 * Arm a fault on the demo portal (a test hook): the route answers as told.
 */
export async function armFault(
  request: APIRequestContext,
  baseURL: string | undefined,
  fault: Record<string, unknown>
): Promise<void> {
  const response = await request.post(`${portalUrl(baseURL)}__demo__/faults`, {
    data: fault
  });
  expect(response.ok()).toBe(true);
}

/**
 * The text a cell printed, once it has finished.
 */
export async function cellOutput(
  page: IJupyterLabPageFixture,
  index: number
): Promise<string> {
  const output = await page.notebook.getCellTextOutput(index);
  return (output ?? []).join('\n').trim();
}

/**
 * Python that reports whether the token is set and what the portal's data route says to it,
 * without printing the token itself.
 */
export const PYTHON_USE_TOKEN = [
  // One line per statement: the cell editor would re-indent a block as it is typed.
  'import os, http.client, urllib.parse',
  // Remember the host: after a revoke the variable is gone, and the old token is tried again.
  '_HOST = os.environ.get("XDMOD_HOST") or globals().get("_HOST", "http://127.0.0.1:1")',
  'def _status(t): u = urllib.parse.urlsplit(_HOST); c = http.client.HTTPConnection(u.hostname, u.port, timeout=10); c.request("GET", "/rest/v1/warehouse/resources", headers={"Authorization": "Bearer " + t}); return c.getresponse().status',
  '_tok = os.environ.get("XDMOD_API_TOKEN")',
  'print("token:", "set" if _tok else "MISSING", "status:", _status(_tok) if _tok else "-")'
].join('\n');

/**
 * Python helpers for the SODAR and Axivion flows: `_status(url, headers)` answers the HTTP
 * status of a GET, and the portals' addresses are remembered (as `_HOST` above) so an old token
 * can be tried after its variables are gone.
 */
const PYTHON_STATUS = [
  'import os, base64, http.client, urllib.parse',
  'def _status(url, headers): u = urllib.parse.urlsplit(url); c = http.client.HTTPConnection(u.hostname, u.port, timeout=10); c.request("GET", u.path, headers=headers); return c.getresponse().status'
];

/** The SODAR data route's status for a token (`token <key>`, SODAR's versioned Accept). */
export const PYTHON_SODAR = [
  ...PYTHON_STATUS,
  '_SODAR = (os.environ.get("SODAR_SERVER_URL") or globals().get("_SODAR", "http://127.0.0.1:1")).rstrip("/")',
  'def _sodar(t): return _status(_SODAR + "/project/api/list", {"Authorization": "token " + t, "Accept": "application/vnd.bihealth.sodar-core.projectroles+json; version=1.0"})',
  '_stok = os.environ.get("SODAR_API_TOKEN")',
  'print("sodar:", "set" if _stok else "MISSING", _sodar(_stok) if _stok else "-")'
].join('\n');

/** The Axivion data route's status for user + token (HTTP Basic, as Axivion's scripts do). */
export const PYTHON_AXIVION = [
  ...PYTHON_STATUS,
  '_AX = (os.environ.get("AXIVION_DASHBOARD_URL") or globals().get("_AX", "http://127.0.0.1:1")).rstrip("/")',
  'def _axivion(user, t): return _status(_AX + "/api/projects", {"Authorization": "Basic " + base64.b64encode((user + ":" + t).encode()).decode(), "Accept": "application/json", "X-Axivion-User-Agent": "ApiClient"})',
  '_axu = os.environ.get("AXIVION_USERNAME"); _axp = os.environ.get("AXIVION_PASSWORD")',
  'print("axivion:", "set" if _axp else "MISSING", _axu, _axivion(_axu, _axp) if _axp else "-")'
].join('\n');

/**
 * A new untitled notebook with the given kernel, made active (Galata's `createNew` depends on a
 * kernel dialog that JupyterLab skips once a kernel was chosen before).
 */
export async function newNotebook(
  page: IJupyterLabPageFixture,
  kernelName: string
): Promise<string> {
  const path = await page.evaluate(async name => {
    const panel = await window.jupyterapp.commands.execute(
      'notebook:create-new',
      { kernelName: name }
    );
    return panel.context.path as string;
  }, kernelName);
  const name = path.split('/').pop() as string;
  await page.notebook.activate(name);
  return name;
}

/**
 * Answer the open dialog with the button of that exact name.
 */
export async function answerDialog(page: Page, button: string): Promise<void> {
  await page
    .getByRole('dialog')
    .getByRole('button', { name: button, exact: true })
    .click();
}

/**
 * Change one of the extension's settings (Galata keeps a test's user settings in memory, so
 * this lasts for the test only).
 */
export async function setSetting(
  page: Page,
  key: string,
  value: PartialJSONValue
): Promise<void> {
  await page.evaluate(
    async ([name, data]) => {
      const registry = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      await registry!.set('jupyterlab-portal-token:plugin', name, data);
    },
    [key, value] as const
  );
}

/** Replace the configured portals (for the test only, as `setSetting`). */
export async function setPortals(
  page: Page,
  portals: PartialJSONObject[]
): Promise<void> {
  await setSetting(page, 'portals', portals);
}

/**
 * Make a live token at one of the demo's portals from its panel section, as the demo user:
 * XDMoD with one click, SODAR through its form, Axivion by signing in and then creating.
 * Resolves once the token is live in the one running kernel.
 */
export async function generateIn(
  page: Page,
  label: typeof XDMOD | typeof SODAR | typeof AXIVION
) {
  const section = await openPortalSection(page, label);
  if (label === AXIVION) {
    await openForm(section, 'Sign in…');
    await section.getByLabel('Username').fill('demo');
    await section.getByLabel('Password').fill('demo');
    await section.getByRole('button', { name: 'Sign in' }).click();
  }
  if (label !== XDMOD) {
    await openForm(section, 'New token…');
    if (label === SODAR) {
      await section.getByLabel('Username').fill('demo');
    }
    await section.getByLabel('Password').fill('demo');
  }
  await section.getByRole('button', { name: 'Generate token' }).click();
  await expect(section).toContainText('Live in 1 kernel');
  return section;
}

/**
 * Open a card's form on demand ("Sign in…", "New token…"): click its opener (waiting for it),
 * then the form (named "Sign in to …" or "New token at …") is there.
 */
export async function openForm(
  section: Locator,
  opener: 'Sign in…' | 'New token…'
): Promise<void> {
  await section.getByRole('button', { name: opener, exact: true }).click();
  await expect(
    section.getByRole('form', {
      name: opener === 'Sign in…' ? /^Sign in to / : /^New token at /
    })
  ).toBeVisible();
}
