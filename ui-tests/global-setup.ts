import { request, FullConfig } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Sign in once per demo, as a person would: to XDMoD through its login API (JupyterLab behind
 * XDMoD's /jupyter/ is reachable only with a portal session) and to the hub through its form
 * (the same JupyterLab on the hub's origin). A browser keeps a host's cookies for all its
 * ports, so one storage state per demo holds both sessions.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  for (const project of config.projects) {
    const port = Number(project.metadata.demoPort);
    const context = await request.newContext();
    const portal = await context.post(
      `http://127.0.0.1:${port}/rest/auth/login`,
      {
        form: { username: 'demo', password: 'demo' }
      }
    );
    const hub = await context.post(`http://127.0.0.1:${port + 3}/hub/login`, {
      form: { username: 'demo', password: 'demo' },
      maxRedirects: 0
    });
    if (!portal.ok() || hub.status() !== 303) {
      throw new Error(
        `Signing in to the demo on port ${port} failed: XDMoD ${portal.status()}, hub ${hub.status()}`
      );
    }
    const file = project.use.storageState as string;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await context.storageState({ path: file });
    await context.dispose();
  }
}
