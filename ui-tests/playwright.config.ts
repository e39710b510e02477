import * as os from 'os';
import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';
import { chromium, demoServer } from './demo-server';

// Galata's base config is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig: PlaywrightTestConfig = require('@jupyterlab/galata/lib/playwright-config');

/**
 * The ui-tests run against the demo portal, with JupyterLab behind it at /jupyter/ on the same
 * origin, exactly as `make demo` serves it (on another port, with test hooks on).
 */
const PORT = process.env.UI_TEST_PORT ?? '8811';
const PORTAL = `http://127.0.0.1:${PORT}`;
// For the helpers (in the workers): XDMoD's port; SODAR, Axivion and the hub follow it.
process.env.DEMO_PORTAL_PORT = PORT;
// The demo's log, JupyterLab's lines included, for secret-sinks.spec.ts to scan (one per port).
process.env.DEMO_LOG_FILE ??= path.join(
  os.tmpdir(),
  `portal-token-ui-${PORT}.log`
);

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
    baseURL: `${PORTAL}/jupyter`,
    // One file per port: concurrent runs (other ports) must not overwrite each other's session.
    storageState: path.join(__dirname, '.auth', `demo-${PORT}.json`),
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
    launchOptions: chromium()
  },
  webServer: demoServer({ port: PORT, stderr: 'pipe' })
};

export default config;
