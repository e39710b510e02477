import * as os from 'os';
import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';
import { chromium, demoServer } from './demo-server';

// Galata's base config is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig: PlaywrightTestConfig = require('@jupyterlab/galata/lib/playwright-config');

/**
 * The ui-tests run against the demo, laid out as `make demo` serves it (on other ports, with
 * test hooks on): XDMoD with JupyterLab behind it at /jupyter/ on its origin, SODAR and the
 * Axivion Dashboard on their own origins, and the hub serving the same JupyterLab on another
 * origin (hub.spec.ts). relay-off.spec.ts runs against a second demo whose Jupyter server has
 * the relay turned off by its administrator (`PortalTokenRelay.enabled = False`).
 */
const PORT = process.env.UI_TEST_PORT ?? '8811';
const PORTAL = `http://127.0.0.1:${PORT}`;
// For hub.spec.ts's base URL, set before any test runs (the helpers use the project's port).
process.env.DEMO_PORTAL_PORT = PORT;
const RELAY_OFF_PORT = String(Number(PORT) + 10);
// The demo's log, JupyterLab's lines included, for secret-sinks.spec.ts to scan (one per port).
process.env.DEMO_LOG_FILE ??= path.join(
  os.tmpdir(),
  `portal-token-ui-${PORT}.log`
);
const TEST_CONFIG = path.join(__dirname, 'jupyter_server_test_config.py');

/** One file per port: concurrent runs (other ports) must not overwrite each other's session. */
const storageState = (port: string) =>
  path.join(__dirname, '.auth', `demo-${port}.json`);

const config: PlaywrightTestConfig = {
  ...baseConfig,
  testDir: './tests',
  outputDir: './test-results',
  workers: 1,
  retries: 0,
  timeout: 120000,
  expect: { timeout: 20000 },
  reporter: [['list']],
  globalSetup: require.resolve('./global-setup'),
  use: {
    ...baseConfig.use,
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
    launchOptions: chromium()
  },
  projects: [
    {
      name: 'demo',
      testIgnore: /relay-off\.spec\.ts$/,
      metadata: { demoPort: PORT },
      use: { baseURL: `${PORTAL}/jupyter`, storageState: storageState(PORT) }
    },
    {
      name: 'relay-off',
      testMatch: /relay-off\.spec\.ts$/,
      metadata: { demoPort: RELAY_OFF_PORT },
      use: {
        baseURL: `http://127.0.0.1:${RELAY_OFF_PORT}/jupyter`,
        storageState: storageState(RELAY_OFF_PORT)
      }
    }
  ],
  webServer: [
    demoServer({ port: PORT, stderr: 'pipe' }),
    demoServer({
      port: RELAY_OFF_PORT,
      stderr: 'ignore',
      env: {
        JUPYTER_ARGS: `--config=${TEST_CONFIG} --PortalTokenRelay.enabled=False`,
        DEMO_LOG_FILE: ''
      }
    })
  ]
};

export default config;
