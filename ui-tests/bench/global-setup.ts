import type { FullConfig } from '@playwright/test';
import { execFileSync } from 'child_process';
import signIn from '../global-setup';
import { startRun } from './results';

/**
 * Sign in to the demo portal (as the ui-tests do), and start a fresh results file: once per
 * `make bench`, also when a failed benchmark makes Playwright start a new worker.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  await signIn(config);
  const executable =
    (config.projects[0].use.launchOptions?.executablePath as string) ??
    'chromium';
  let version = 'unknown';
  try {
    version = execFileSync(executable, ['--version'], {
      encoding: 'utf-8',
      stdio: ['ignore', 'pipe', 'ignore']
    })
      .trim()
      .replace(/^Chromium\s+/, '')
      .replace(/\s+built on.*/, '');
  } catch {
    // Reported as unknown.
  }
  await startRun(version);
}
