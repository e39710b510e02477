/**
 * The kernel injector against kernels that do not sit still, with real ipykernel kernels behind
 * a real Jupyter server: 20 kernels at once, a kernel busy with a long cell, a kernel that dies
 * or restarts while its injection is in flight.
 *
 * Cells print a fingerprint of the variable (its code points reversed), never the value.
 *
 * Unhandled rejections: jest fails the running test on any (its handler sits on the real
 * `process`; a listener added here, on the test environment's copy, never hears them).
 */
import type { SessionContext } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { Kernel, ServerConnection } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KernelInjector } from '../injection';
import type { IKernelInjectionStatus } from '../tokens';
import {
  fingerprint,
  makeSecret,
  onFirstStatusAfter,
  pythonFingerprint,
  run,
  TestServer
} from './injection-server';

const SOURCE = 'portal';
const NAME = 'PORTAL_TOKEN';
/** A kernel spec whose kernel lives once: every restart of it fails. */
const ONE_LIFE = 'python3-one-life';
/** What the status of a kernel that is gone for good may say. */
const GONE_REASONS = [
  'The kernel died',
  'The connection to the kernel was lost'
];

describe('KernelInjector with many, busy, dying and restarting ipykernels', () => {
  const server = new TestServer();
  const marker = path.join(
    os.tmpdir(),
    `portal-token-one-life-${UUID.uuid4()}`
  );
  let injector: KernelInjector;
  /** What a test started: shut down after it, so the next test sees only its own kernels. */
  let started: {
    contexts: SessionContext[];
    kernels: Kernel.IKernelConnection[];
  };

  beforeAll(async () => {
    await server.start(
      { [ONE_LIFE]: Private.oneLifeSpec(marker) },
      // One restart attempt before the server gives a crashed kernel up, so the one-life
      // kernel is given up at once (each failed attempt also cancels a kernel_info request of
      // every connection to it: see the note on requestKernelInfo in injection-server.ts).
      { KernelRestarter: { restart_limit: 1 } }
    );
  }, 60000);

  afterAll(async () => {
    await server.shutdown();
    fs.rmSync(marker, { force: true });
  }, 60000);

  beforeEach(() => {
    started = { contexts: [], kernels: [] };
    injector = new KernelInjector({
      kernelManager: server.kernelManager,
      kernelSpecManager: server.specsManager
    });
  });

  afterEach(async () => {
    injector.dispose();
    await Promise.all([
      ...started.contexts.map(context =>
        context.shutdown().catch(() => undefined)
      ),
      ...started.kernels.map(kernel =>
        kernel.isDisposed ? undefined : kernel.shutdown().catch(() => undefined)
      )
    ]);
  }, 60000);

  /** A python kernel without a widget, idle. */
  async function bareKernel(): Promise<Kernel.IKernelConnection> {
    const kernel = await server.kernelManager.startNew({ name: 'python3' });
    started.kernels.push(kernel);
    await kernel.info;
    return kernel;
  }

  /** A notebook's kernel, followed by the injector, idle. */
  async function notebookKernel(
    name = 'python3'
  ): Promise<Kernel.IKernelConnection> {
    const context = server.sessionContext(name);
    started.contexts.push(context);
    injector.addSessionContext(context);
    await context.initialize();
    const kernel = context.session!.kernel!;
    await kernel.info;
    return kernel;
  }

  /**
   * The server announces the crashed kernel's restart ("restarting") before it tries it, and
   * @jupyterlab/services answers with a `reconnect()` it does not await (`void …`). When the
   * restart then fails, that promise rejects once the connection gives up or is disposed, often
   * during a later test, which jest then fails for a rejection that is not the injector's. This
   * connection's reconnects settle quietly; what the test checks is the injector's status.
   */
  function ignoreFailedReconnect(kernel: Kernel.IKernelConnection): void {
    const reconnect = kernel.reconnect.bind(kernel);
    kernel.reconnect = () => reconnect().catch(() => undefined);
  }

  function statusOf(
    kernel: Kernel.IKernelConnection
  ): IKernelInjectionStatus | undefined {
    return injector
      .status(SOURCE)
      .find(status => status.kernelId === kernel.id);
  }

  /** Resolves with the kernel's status (undefined: not listed) once `done` holds for it. */
  function until(
    kernel: Kernel.IKernelConnection,
    done: (status: IKernelInjectionStatus | undefined) => boolean
  ): Promise<IKernelInjectionStatus | undefined> {
    return new Promise(resolve => {
      const check = () => {
        const status = statusOf(kernel);
        if (done(status)) {
          injector.changed.disconnect(check);
          resolve(status);
        }
      };
      injector.changed.connect(check);
      check();
    });
  }

  /** `promise`, or a rejection naming `what` if it is not settled within `ms`. */
  function within<T>(
    promise: Promise<T>,
    ms: number,
    what: string
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: not settled after ${ms} ms`)),
        ms
      );
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  /** Send a cell killing the kernel's process, ahead of whatever is sent next. */
  function kill(kernel: Kernel.IKernelConnection): void {
    const future = kernel.requestExecute({
      code: 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)',
      silent: true,
      store_history: false
    });
    // Never answered: cancelled by the restart or the kernel's death.
    future.done.catch(() => undefined);
  }

  /**
   * Start a cell sleeping `seconds` and resolve once it runs, with when it ends (or is
   * cancelled by a restart).
   */
  async function longCell(
    kernel: Kernel.IKernelConnection,
    seconds: number
  ): Promise<{ ended: Promise<number> }> {
    const future = kernel.requestExecute(
      {
        code: `print('sleeping', flush=True)\nimport time; time.sleep(${seconds})`,
        store_history: true
      },
      true
    );
    const running = new Promise<void>(resolve => {
      future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') {
          resolve();
        }
      };
    });
    const ended = future.done.then(
      () => Date.now(),
      () => Date.now()
    );
    await running;
    return { ended };
  }

  it('injects 20 kernels at once: every next cell sees the value; clear unsets it in all', async () => {
    const first = await bareKernel();
    const one = makeSecret();
    let t0 = Date.now();
    await injector.set(SOURCE, { [NAME]: one.value });
    const oneMs = Date.now() - t0;
    expect(statusOf(first)?.state).toBe('injected');
    expect(await run(first, pythonFingerprint(NAME))).toBe(
      fingerprint(one.value)
    );
    await injector.clear(SOURCE);

    // 19 more, started in parallel: every other one in a notebook, the rest without a widget
    // (reached over connections of the injector's own, made by `set`).
    t0 = Date.now();
    const kernels = [
      first,
      ...(await Promise.all(
        Array.from({ length: 19 }, (_, i) =>
          i % 2 === 0 ? notebookKernel() : bareKernel()
        )
      ))
    ];
    const startMs = Date.now() - t0;
    const ids = kernels.map(kernel => kernel.id);
    expect(new Set(ids).size).toBe(20);
    expect(kernels.map(kernel => kernel.status)).toEqual(
      Array(20).fill('idle')
    );

    const secret = makeSecret();
    const from = server.messages.length;
    t0 = Date.now();
    await injector.set(SOURCE, { [NAME]: secret.value });
    const manyMs = Date.now() - t0;
    const exchanged = server.messages.slice(from);
    process.stderr.write(
      `set() took ${oneMs} ms for 1 kernel, ${manyMs} ms for 20 (starting 19 took ${startMs} ms)\n`
    );

    const statuses = injector.status(SOURCE);
    expect(statuses.map(status => status.kernelId).sort()).toEqual(
      [...ids].sort()
    );
    expect(statuses.map(status => status.state)).toEqual(
      Array(20).fill('injected')
    );
    // One stdin round trip each: one input request per injection, answered once, final.
    const injections = exchanged.filter(
      ({ direction, msg }) =>
        direction === 'send' &&
        msg.header.msg_type === 'execute_request' &&
        String((msg.content as { code?: string }).code).includes(
          `__portal_token_set(('${NAME}',)`
        )
    );
    expect(injections).toHaveLength(20);
    const inputRequests = exchanged.filter(
      ({ direction, msg }) =>
        direction === 'recv' && msg.header.msg_type === 'input_request'
    );
    expect(
      injections.map(
        ({ msg }) =>
          inputRequests.filter(
            request =>
              (request.msg.parent_header as { msg_id?: string }).msg_id ===
              msg.header.msg_id
          ).length
      )
    ).toEqual(Array(20).fill(1));
    const inputReplies = exchanged.filter(
      ({ direction, msg }) =>
        direction === 'send' && msg.header.msg_type === 'input_reply'
    );
    expect(
      inputReplies.map(({ msg }) =>
        String((msg.content as { value?: string }).value).slice(32, 34)
      )
    ).toEqual(Array(20).fill(':F'));
    expect(
      await Promise.all(
        kernels.map(kernel => run(kernel, pythonFingerprint(NAME)))
      )
    ).toEqual(Array(20).fill(fingerprint(secret.value)));

    await injector.clear(SOURCE);
    expect(injector.status(SOURCE)).toEqual([]);
    expect(
      await Promise.all(
        kernels.map(kernel => run(kernel, pythonFingerprint(NAME)))
      )
    ).toEqual(Array(20).fill('unset'));
  }, 240000);

  describe('a kernel busy with a long cell', () => {
    it('gets the value before the notebook’s next cell, sent while set() is pending', async () => {
      const kernel = await notebookKernel();
      const secret = makeSecret();
      const { ended } = await longCell(kernel, 5);
      const settled = injector
        .set(SOURCE, { [NAME]: secret.value })
        .then(() => Date.now());
      // The user's next cell, queued behind the long one.
      const next = run(kernel, pythonFingerprint(NAME));
      expect(statusOf(kernel)?.state).toBe('pending');

      expect(await within(next, 60000, 'the next cell')).toBe(
        fingerprint(secret.value)
      );
      // set() waits for the long cell, and no longer.
      expect(await within(settled, 60000, 'set()')).toBeGreaterThanOrEqual(
        await ended
      );
      expect(statusOf(kernel)?.state).toBe('injected');
    }, 90000);

    it('without a widget: set() resolves once the long cell ends, and the kernel holds the value', async () => {
      // No ordering promise here (a cell another client sends meanwhile may run first):
      // the injector's own connection waits for the kernel's kernel_info reply.
      const kernel = await bareKernel();
      const secret = makeSecret();
      const { ended } = await longCell(kernel, 5);
      const settled = injector
        .set(SOURCE, { [NAME]: secret.value })
        .then(() => Date.now());

      expect(await within(settled, 60000, 'set()')).toBeGreaterThanOrEqual(
        await ended
      );
      expect(statusOf(kernel)?.state).toBe('injected');
      expect(await run(kernel, pythonFingerprint(NAME))).toBe(
        fingerprint(secret.value)
      );
    }, 90000);
  });

  describe('a kernel that dies during injection', () => {
    it('set() resolves; the server’s restart gets the value before the first cell sent after it', async () => {
      const kernel = await notebookKernel();
      const secret = makeSecret();
      let firstCell: Promise<string> | undefined;
      const restarted = onFirstStatusAfter(kernel, ['autorestarting'], () => {
        firstCell = run(kernel, pythonFingerprint(NAME));
      });
      // Runs ahead of the injection, which dies unanswered with the process.
      kill(kernel);
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      expect(statusOf(kernel)?.state).toBe('pending');

      await within(settled, 60000, 'set()');
      await within(restarted, 60000, 'the restart after the crash');
      expect(await within(firstCell!, 60000, 'the first cell')).toBe(
        fingerprint(secret.value)
      );
      await within(
        until(kernel, status => status?.state === 'injected'),
        30000,
        'the status "injected"'
      );
    }, 120000);

    it('set() resolves and the status says why when the server cannot restart it', async () => {
      const kernel = await notebookKernel(ONE_LIFE);
      ignoreFailedReconnect(kernel);
      const secret = makeSecret();
      kill(kernel);
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      expect(statusOf(kernel)?.state).toBe('pending');

      await within(settled, 60000, 'set()');
      // What it says once it is no longer pending: failed, and why (not just forgotten).
      const status = await within(
        until(kernel, status => status?.state !== 'pending'),
        60000,
        'the status'
      );
      expect(status?.state).toBe('failed');
      expect(GONE_REASONS).toContain(status?.reason);
    }, 120000);

    it('set() resolves when this JupyterLab shuts the kernel down', async () => {
      const kernel = await bareKernel();
      const secret = makeSecret();
      await longCell(kernel, 30);
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      await server.kernelManager.shutdown(kernel.id);

      await within(settled, 60000, 'set()');
      expect(statusOf(kernel)).toBeUndefined();
    }, 120000);

    it('set() resolves when another client shuts the kernel down', async () => {
      const kernel = await bareKernel();
      const secret = makeSecret();
      await longCell(kernel, 30);
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      const settings = server.kernelManager.serverSettings;
      const response = await ServerConnection.makeRequest(
        URLExt.join(settings.baseUrl, 'api/kernels', kernel.id),
        { method: 'DELETE' },
        settings
      );
      expect(response.status).toBe(204);

      // Noticed when the kernel manager next polls the server (every 10 s).
      await within(settled, 60000, 'set()');
      expect([undefined, 'failed']).toContain(statusOf(kernel)?.state);
      expect([undefined, ...GONE_REASONS]).toContain(statusOf(kernel)?.reason);
    }, 120000);
  });

  describe('a kernel restarted during injection', () => {
    it('a notebook kernel restarted while the injection waits behind a long cell: the next cell sees the value', async () => {
      const kernel = await notebookKernel();
      const secret = makeSecret();
      await longCell(kernel, 30);
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      expect(statusOf(kernel)?.state).toBe('pending');

      await within(kernel.restart(), 60000, 'the restart');
      expect(await run(kernel, pythonFingerprint(NAME))).toBe(
        fingerprint(secret.value)
      );
      await within(settled, 60000, 'set()');
      expect(statusOf(kernel)?.state).toBe('injected');
    }, 120000);

    it('a notebook kernel restarted in the tick set() was called: the next cell sees the value', async () => {
      const kernel = await notebookKernel();
      const secret = makeSecret();
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      await within(kernel.restart(), 60000, 'the restart');
      expect(await run(kernel, pythonFingerprint(NAME))).toBe(
        fingerprint(secret.value)
      );
      await within(settled, 60000, 'set()');
      expect(statusOf(kernel)?.state).toBe('injected');
    }, 120000);

    it('a kernel without a widget, restarted by another client: injected again once it runs', async () => {
      // The restart goes over a connection the injector does not follow (no ordering promise):
      // wait for the status. Seen here: the request that went out before the restart, not yet
      // taken by the busy old process, is run by the new one (same ports), and answered.
      const kernel = await bareKernel();
      const secret = makeSecret();
      await longCell(kernel, 30);
      const sent = server.nextMessage(
        ({ direction, msg }) =>
          direction === 'send' &&
          msg.header.msg_type === 'execute_request' &&
          String((msg.content as { code?: string }).code).includes(NAME)
      );
      const settled = injector.set(SOURCE, { [NAME]: secret.value });
      // The injection went out (once the connection gave up waiting for kernel_info, which
      // the busy kernel answers only after the long cell): it dies with the old process.
      await within(sent, 30000, 'the injection request');
      expect(statusOf(kernel)?.state).toBe('pending');
      await within(kernel.restart(), 60000, 'the restart');

      await within(settled, 60000, 'set()');
      await within(
        until(kernel, status => status?.state === 'injected'),
        60000,
        'the status "injected"'
      );
      expect(await run(kernel, pythonFingerprint(NAME))).toBe(
        fingerprint(secret.value)
      );
    }, 120000);
  });
});

/**
 * Module internals.
 */
namespace Private {
  /**
   * A python kernel spec whose launcher runs ipykernel the first time only (it leaves `marker`
   * behind) and exits at once when restarted, so the server gives the kernel up as dead.
   */
  export function oneLifeSpec(marker: string): Record<string, unknown> {
    const launcher = [
      'import os, sys',
      'if os.path.exists(sys.argv[1]): sys.exit(1)',
      "open(sys.argv[1], 'w').close()",
      'from ipykernel.kernelapp import launch_new_instance',
      "launch_new_instance(['-f', sys.argv[2]])"
    ].join('\n');
    return {
      argv: ['python', '-c', launcher, marker, '{connection_file}'],
      display_name: 'Python (one life)',
      language: 'python'
    };
  }
}
