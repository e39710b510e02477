/**
 * The demo portal's command line: `node demo/lib/main.js`.
 *
 * Environment:
 * - `PORT` (default 8800; the host is always 127.0.0.1): XDMoD's port; SODAR, the Axivion
 *   Dashboard and the hub listen on the three after it
 * - `XDMOD_TOKEN_LIFETIME` (default "6 months"; e.g. "3 hours", "10 seconds", or seconds)
 * - `XDMOD_CORS_ORIGINS` (comma-separated exact origins)
 * - `DEMO_TEST_HOOKS=1` (serve /__demo__/… for tests)
 * - `JUPYTER_COMMAND` (default `jupyter` on PATH; `none` serves no JupyterLab)
 * - `JUPYTER_ARGS` (extra arguments, space-separated)
 * - `JUPYTER_ROOT_DIR` (JupyterLab's working and root directory)
 * - `DEMO_LOG_FILE` (also write the log, JupyterLab's lines included, to this file, emptied first)
 * - `DEMO_FIXED_CLOCK` (an instant, e.g. `2030-06-03T09:30:00Z`: the portals' clock stands
 *   there and every run deals the same token secrets; for `make screenshots`)
 */
import { parseInstant } from './clock';
import { fileLogger } from './log';
import { HOST, IPortalOptions, IRunningPortal, startPortal } from './server';

/** The default port. */
export const DEFAULT_PORT = 8800;

/** Reads the portal options from the environment. Throws on a malformed value. */
export function optionsFromEnv(
  env: NodeJS.ProcessEnv
): IPortalOptions & { port: number; logFile?: string } {
  const portText = (env.PORT ?? '').trim();
  const port = portText ? Number(portText) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, not "${env.PORT}".`);
  }
  const command = (env.JUPYTER_COMMAND ?? '').trim();
  const args = (env.JUPYTER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const lifetime = (env.XDMOD_TOKEN_LIFETIME ?? '').trim();
  const fixedClock = (env.DEMO_FIXED_CLOCK ?? '').trim();
  return {
    port,
    logFile: (env.DEMO_LOG_FILE ?? '').trim() || undefined,
    tokenLifetime: lifetime || undefined,
    corsOrigins: (env.XDMOD_CORS_ORIGINS ?? '')
      .split(',')
      .map(origin => origin.trim())
      .filter(Boolean),
    testHooks: env.DEMO_TEST_HOOKS === '1' || env.DEMO_TEST_HOOKS === 'true',
    fixedClock: fixedClock ? parseInstant(fixedClock) : undefined,
    jupyter:
      command === 'none'
        ? false
        : {
            command: command || undefined,
            args,
            cwd: (env.JUPYTER_ROOT_DIR ?? '').trim() || undefined
          }
  };
}

/** How many ports the demo takes from `PORT` on: XDMoD's, SODAR's, Axivion's, the hub's. */
export const PORTS_USED = 4;

/**
 * The message for a port that cannot be used (`port` is PORT; Node's error names the one
 * of the demo's ports that failed).
 */
export function listenErrorMessage(port: number, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const failed = (error as { port?: number }).port ?? port;
  const range = `the demo uses ports ${port} to ${port + PORTS_USED - 1}`;
  if (code === 'EADDRINUSE') {
    return `Port ${failed} is busy: another program listens on ${HOST}:${failed}. Stop it or set PORT to another port (${range}).`;
  }
  if (code === 'EACCES') {
    return `Port ${failed} is not allowed: ${error.message}. Set PORT to another port (${range}).`;
  }
  return error.message;
}

/** What `make demo` prints once everything answers: every address, the ready line last. */
export function startedMessage(portal: IRunningPortal): string {
  const lines = [
    'The demo portals, each on its own origin:',
    `  XDMoD              ${portal.url}`,
    `  SODAR              ${portal.sodarUrl}`,
    `  Axivion Dashboard  ${portal.axivionUrl}`
  ];
  if (portal.hubUrl) {
    lines.push(
      'JupyterLab, two ways (the same server; sign in as demo / demo):',
      `  on XDMoD's origin, behind its sign-in   ${portal.url}jupyter/lab`,
      `  on a hub's own origin, as a JupyterHub   ${portal.hubUrl}jupyter/lab`,
      `JupyterLab's portal settings (written by the demo): ${portal.overridesFile}`
    );
  }
  lines.push(`Open ${portal.url} and sign in as demo / demo`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let options: IPortalOptions & { port: number };
  try {
    const { logFile, ...rest } = optionsFromEnv(process.env);
    options = logFile ? { ...rest, logger: fileLogger(logFile) } : rest;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }

  let portal: IRunningPortal | undefined;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: leave now; the exit hook still kills JupyterLab.
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`Received ${signal}, stopping the demo portal…\n`);
    // Still starting: leaving is enough, the exit hook kills JupyterLab.
    await portal?.close();
    process.exit(0);
  };
  process.on('SIGINT', signal => void stop(signal));
  process.on('SIGTERM', signal => void stop(signal));
  process.on('SIGHUP', signal => void stop(signal));

  try {
    portal = await startPortal(options);
  } catch (error) {
    process.stderr.write(
      `${listenErrorMessage(options.port, error as Error)}\n`
    );
    process.exit(1);
  }
  process.stdout.write(startedMessage(portal));
}

if (require.main === module) {
  void main();
}
