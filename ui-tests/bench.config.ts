import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';
import { BENCH_CONFIG_DIR } from './bench/lab';
import { chromium, demoServer } from './demo-server';

/**
 * `make bench`: the benchmarks of docs/BENCHMARKS.md, in Chromium against the demo portal with
 * JupyterLab behind it at /jupyter/, on a port of their own (the ui-tests use 8811), so both can
 * run at once. Not part of `make test`.
 */
const PORT = process.env.BENCH_PORT ?? '8831';
const PORTAL = `http://127.0.0.1:${PORT}`;

const config: PlaywrightTestConfig = {
  testDir: './bench',
  // Under the ui-tests' ignored output folder, in a folder of its own.
  outputDir: './test-results/bench',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Each benchmark sets its own (long) timeout.
  timeout: 30 * 60 * 1000,
  expect: { timeout: 30000 },
  reporter: [['list']],
  globalSetup: require.resolve('./bench/global-setup'),
  // The ui-tests' helpers find the demo's origins from the project's port.
  projects: [{ name: 'bench', metadata: { demoPort: PORT } }],
  use: {
    baseURL: `${PORTAL}/jupyter`,
    storageState: path.join(__dirname, '.auth', 'bench.json'),
    trace: 'off',
    video: 'off',
    screenshot: 'off',
    viewport: { width: 1280, height: 800 },
    // Idle pages are measured while others work: keep Chromium from throttling them.
    launchOptions: chromium([
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'
    ])
  },
  webServer: demoServer({
    port: PORT,
    // The portal logs every request on stderr: BENCH_VERBOSE=1 shows them.
    stderr: process.env.BENCH_VERBOSE ? 'pipe' : 'ignore',
    env: {
      JUPYTER_CONFIG_PATH: [BENCH_CONFIG_DIR, process.env.JUPYTER_CONFIG_PATH]
        .filter(Boolean)
        .join(path.delimiter)
    }
  })
};

export default config;
