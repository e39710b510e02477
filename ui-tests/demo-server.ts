import * as path from 'path';
import type { PlaywrightTestConfig } from '@playwright/test';

const root = path.resolve(__dirname, '..');

/**
 * Chromium from Debian (`npx playwright install` cannot work here), without the background
 * traffic and updates that would add requests or noise to a run.
 */
export function chromium(extraArgs: string[] = []) {
  return {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...extraArgs
    ]
  };
}

/**
 * The demo portal on `port`, with JupyterLab behind it at /jupyter/ on the same origin, as
 * `make demo` serves it, with its test hooks on.
 */
export function demoServer(options: {
  port: string;
  /** Where the portal's request log (stderr) goes. */
  stderr: 'pipe' | 'ignore';
  /** More environment for the portal and JupyterLab. */
  env?: Record<string, string>;
}): Extract<
  NonNullable<PlaywrightTestConfig['webServer']>,
  { command: string }
> {
  return {
    command: 'node demo/lib/main.js',
    cwd: root,
    // The portal prints its ready line only once JupyterLab answers behind it.
    wait: { stdout: /Open http:\/\/127\.0\.0\.1:\d+\/ and sign in/ },
    timeout: 120000,
    reuseExistingServer: false,
    // SIGTERM lets the portal take JupyterLab and its kernels down with it (SIGKILL would not).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15000 },
    stdout: 'pipe',
    stderr: options.stderr,
    env: {
      ...(process.env as Record<string, string>),
      PORT: options.port,
      DEMO_TEST_HOOKS: '1',
      JUPYTER_COMMAND:
        process.env.JUPYTER_COMMAND ??
        path.join(root, '.venv', 'bin', 'jupyter'),
      JUPYTER_ARGS: `--config=${path.join(__dirname, 'jupyter_server_test_config.py')}`,
      ...options.env
    }
  };
}
