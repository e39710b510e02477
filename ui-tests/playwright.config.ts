import * as os from 'os';
import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';

// Galata's base config is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig: PlaywrightTestConfig = require('@jupyterlab/galata/lib/playwright-config');

/**
 * The ui-tests run against the demo portal, with JupyterLab behind it at /jupyter/ on the same
 * origin, exactly as `make demo` serves it (on another port, with test hooks on).
 */
const PORT = process.env.UI_TEST_PORT ?? '8811';
const PORTAL = `http://127.0.0.1:${PORT}`;
const root = path.resolve(__dirname, '..');
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
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'node demo/lib/main.js',
    cwd: root,
    // The portal prints its ready line only once JupyterLab answers behind it.
    wait: { stdout: /Open http:\/\/127\.0\.0\.1:\d+\/ and sign in/ },
    timeout: 120000,
    reuseExistingServer: false,
    // SIGTERM lets the portal take JupyterLab and its kernels down with it (SIGKILL would not).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15000 },
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...process.env,
      PORT,
      DEMO_TEST_HOOKS: '1',
      JUPYTER_COMMAND:
        process.env.JUPYTER_COMMAND ??
        path.join(root, '.venv', 'bin', 'jupyter'),
      JUPYTER_ARGS: `--config=${path.join(__dirname, 'jupyter_server_test_config.py')}`
    }
  }
};

export default config;
