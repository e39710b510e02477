/**
 * The people's side of the demo Axivion Dashboard: one page saying it serves the REST API only.
 * Plain HTML, no scripts, no external assets; every value is escaped.
 */
import { htmlPage } from '../html';
import { escapeHtml as e } from '../http';
import { AXIVION_BASE_PATH } from './urls';

/** The page a browser gets at `/axivion/`. */
export function homePage(options: {
  /** The dashboard version it claims to be. */
  version: string;
}): string {
  return htmlPage({
    title: 'Axivion Dashboard (demo)',
    style: [
      'body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }'
    ],
    body: `<h1>Axivion Dashboard (demo)</h1>
<p>This demo dashboard has no web sign-in: it serves the dashboard's REST API only.
Manage your API tokens from JupyterLab's portal token panel (demo accounts:
<code>demo</code> / <code>demo</code>).</p>
<p>Version ${e(options.version)}. API base: <code>${e(AXIVION_BASE_PATH)}api</code></p>
<p><a href="/">Back to the portal</a></p>`
  });
}
