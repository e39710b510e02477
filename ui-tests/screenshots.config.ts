import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';
import { chromium, demoServer } from './demo-server';

/**
 * `make screenshots`: the README's pictures of the panel (docs/images/), in Chromium against
 * the demo as the ui-tests run it, on ports of its own (SCREENSHOTS_PORT, default 8971, to
 * 8974), so it can run beside them. Not part of `make test`.
 */
const PORT = process.env.SCREENSHOTS_PORT ?? '8971';

/**
 * The instant the demo's clock stands at (DEMO_FIXED_CLOCK, which also deals the same token
 * secrets on every run) and the page's clock starts from, so every run draws the same
 * pictures. Years ahead: JupyterLab's server drops a token whose expiry has passed in real time.
 */
const CLOCK = '2030-06-03T09:30:00Z';

const config: PlaywrightTestConfig = {
  testDir: './screenshots',
  outputDir: './test-results/screenshots',
  workers: 1,
  retries: 0,
  timeout: 180000,
  expect: { timeout: 20000 },
  reporter: [['list']],
  // The ui-tests' sign-in, for this project's demo.
  globalSetup: require.resolve('./global-setup'),
  projects: [
    {
      name: 'screenshots',
      metadata: { demoPort: PORT, demoClock: CLOCK },
      use: {
        baseURL: `http://127.0.0.1:${PORT}/jupyter`,
        storageState: path.join(__dirname, '.auth', `demo-${PORT}.json`)
      }
    }
  ],
  use: {
    // The same window for every run, and one of the height the panel must fit without scrolling.
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    trace: 'off',
    video: 'off',
    screenshot: 'off',
    launchOptions: chromium()
  },
  webServer: demoServer({
    port: PORT,
    stderr: 'ignore',
    env: { DEMO_LOG_FILE: '', DEMO_FIXED_CLOCK: CLOCK }
  })
};

export default config;
