import { request, FullConfig } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Sign in to the demo portal once, as a person would through its login API, and keep the session
 * cookies for the tests: JupyterLab behind /jupyter/ is reachable only with a portal session.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const use = config.projects[0].use;
  const portal = new URL('/', use.baseURL as string).href;
  const context = await request.newContext({ baseURL: portal });
  const response = await context.post('rest/auth/login', {
    form: { username: 'demo', password: 'demo' }
  });
  if (!response.ok()) {
    throw new Error(
      `Signing in to the demo portal failed: ${response.status()}`
    );
  }
  const file = use.storageState as string;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await context.storageState({ path: file });
  await context.dispose();
}
