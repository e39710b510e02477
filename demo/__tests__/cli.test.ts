/**
 * The command line's settings and its message for a busy port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fileLogger } from '../src/log';
import { listenErrorMessage, optionsFromEnv } from '../src/main';
import { startPortal } from '../src/server';

describe('optionsFromEnv', () => {
  it('defaults to port 8800 and JupyterLab from PATH', () => {
    expect(optionsFromEnv({})).toEqual({
      port: 8800,
      tokenLifetime: undefined,
      corsOrigins: [],
      testHooks: false,
      jupyter: { command: undefined, args: [], cwd: undefined }
    });
  });

  it('reads every variable', () => {
    expect(
      optionsFromEnv({
        PORT: '9001',
        XDMOD_TOKEN_LIFETIME: '10 seconds',
        XDMOD_CORS_ORIGINS: 'http://a.example, http://b.example:8080',
        DEMO_TEST_HOOKS: '1',
        JUPYTER_COMMAND: '/opt/venv/bin/jupyter',
        JUPYTER_ARGS: '--config=/tmp/c.py  --ServerApp.log_level=DEBUG',
        JUPYTER_ROOT_DIR: '/tmp/notebooks',
        DEMO_LOG_FILE: ' /tmp/demo.log '
      })
    ).toEqual({
      port: 9001,
      logFile: '/tmp/demo.log',
      tokenLifetime: '10 seconds',
      corsOrigins: ['http://a.example', 'http://b.example:8080'],
      testHooks: true,
      jupyter: {
        command: '/opt/venv/bin/jupyter',
        args: ['--config=/tmp/c.py', '--ServerApp.log_level=DEBUG'],
        cwd: '/tmp/notebooks'
      }
    });
  });

  it('runs without JupyterLab when JUPYTER_COMMAND is none', () => {
    expect(optionsFromEnv({ JUPYTER_COMMAND: 'none' }).jupyter).toBe(false);
  });

  it('refuses a port that is not a number', () => {
    expect(() => optionsFromEnv({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});

describe('DEMO_LOG_FILE', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-log-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not set by default', () => {
    expect(optionsFromEnv({ DEMO_LOG_FILE: '  ' }).logFile).toBeUndefined();
  });

  it('gets every line, empties the file first and still passes lines on', async () => {
    const file = join(dir, 'demo.log');
    writeFileSync(file, 'an earlier run\n');
    const passed: string[] = [];
    const portal = await startPortal({
      port: 0,
      jupyter: false,
      logger: fileLogger(file, { line: text => passed.push(text) })
    });
    try {
      // Written at once, not when the portal stops: a test reads the file while it runs.
      await fetch(`${portal.url}rest/v1/warehouse/resources?Bearer=nothing`);
      expect(readFileSync(file, 'utf8')).toBe(
        'GET /rest/v1/warehouse/resources 401\n'
      );
      expect(passed).toEqual(['GET /rest/v1/warehouse/resources 401']);
    } finally {
      await portal.close();
    }
  });

  it('fails clearly when the file cannot be written', () => {
    expect(() => fileLogger(join(dir, 'missing', 'demo.log'))).toThrow(
      /ENOENT/
    );
  });
});

describe('a busy port', () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise(resolve => blocker.close(resolve));
  });

  it('is reported clearly', async () => {
    const failure = await startPortal({
      port,
      jupyter: false,
      logger: 'silent'
    }).catch((error: Error) => error);
    // Node's error comes from another realm than jest's Error: check its code.
    expect((failure as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(listenErrorMessage(port, failure as Error)).toMatch(
      new RegExp(`^Port ${port} is busy: `)
    );
  });
});
