/**
 * The kernel injector against real ipykernel kernels behind a real Jupyter server.
 *
 * Cells print a fingerprint of the variable (its code points reversed), never the value, so
 * that the last test can require that no message, log line or history entry holds the secret.
 */
import type { SessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { KernelInjector } from '../injection';
import {
  fingerprint,
  hex,
  makeSecret,
  onFirstStatusAfter,
  pythonFingerprint,
  run,
  stdinOf,
  TestServer
} from './injection-server';

const SOURCE = 'xdmod';
const SECRET = makeSecret();
/** What a naive injector would do: set a variable late, once the kernel has answered. */
const LATE =
  "import os as _late; _late.environ['LATE_TOKEN'] = 'late'; del _late";

describe('KernelInjector with ipykernel', () => {
  const server = new TestServer();
  let injector: KernelInjector;
  /** A kernel without a widget, started before the variables were set. */
  let bare: Kernel.IKernelConnection;
  /** A notebook's session context. */
  let notebook: SessionContext;

  beforeAll(async () => {
    await server.start();
    injector = server.injector();
  }, 60000);

  afterAll(() => server.shutdown(), 30000);

  it('injects a running kernel that has no widget; a cell sees the value', async () => {
    bare = await server.kernelManager.startNew({ name: 'python3' });
    await bare.info;
    await injector.set(SOURCE, { X_TOKEN: SECRET.value });

    expect(injector.status(SOURCE)).toEqual([
      {
        kernelId: bare.id,
        kernelName: 'python3',
        language: 'python',
        state: 'injected'
      }
    ]);
    // Nothing is left behind in the user's namespace.
    expect(
      await run(
        bare,
        "print(sorted(n for n in ('_n', 'os', 'getpass') if n in globals()))"
      )
    ).toBe('[]');
    expect(await run(bare, pythonFingerprint('X_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
    // One input request, answered once, with the value hex-encoded.
    const { requests, replies } = stdinOf(
      server.messages,
      "__portal_token_set(('X_TOKEN',)"
    );
    expect(requests).toEqual([expect.stringMatching(/^[0-9a-f]{32}:\*$/)]);
    expect(replies).toEqual([
      `${requests[0].slice(0, -1)}FX_TOKEN=${hex(SECRET.value)}`
    ]);
  });

  it('gives a widget’s new kernel the value before its first cell', async () => {
    notebook = server.sessionContext('python3');
    injector.addSessionContext(notebook);
    let firstCell: Promise<string> | undefined;
    // Connected after the injector, like the code that runs a notebook's first cell.
    notebook.kernelChanged.connect((_, args) => {
      const kernel = args.newValue;
      if (!kernel || firstCell) {
        return;
      }
      // The control: the same kind of message sent once the kernel has answered
      // kernel_info. It must lose the race, or this test could not tell.
      void kernel.info.then(() =>
        kernel.requestExecute({
          code: LATE,
          silent: true,
          store_history: false
        })
      );
      firstCell = run(
        kernel,
        `${pythonFingerprint('X_TOKEN')}\n${pythonFingerprint('LATE_TOKEN')}`
      );
    });
    await notebook.initialize();
    expect(firstCell).toBeDefined();
    expect(await firstCell).toBe(`${fingerprint(SECRET.value)}\nunset`);
    const kernel = notebook.session!.kernel!;
    expect(injector.status(SOURCE)).toContainEqual(
      expect.objectContaining({ kernelId: kernel.id, state: 'injected' })
    );
  });

  it('re-injects a restarted kernel ahead of a cell sent at the first status change', async () => {
    const kernel = notebook.session!.kernel!;
    let atStatus: Promise<string> | undefined;
    const seen = onFirstStatusAfter(kernel, ['restarting'], () => {
      atStatus = run(
        kernel,
        `${pythonFingerprint('X_TOKEN')}\n${pythonFingerprint('LATE_TOKEN')}`
      );
    });
    // The control again: a re-injection once the restart has resolved comes too late.
    await notebook.restartKernel();
    kernel.requestExecute({ code: LATE, silent: true, store_history: false });
    const rightAfter = run(kernel, pythonFingerprint('X_TOKEN'));

    // Whatever status that is (the old kernel's last `busy`, or `unknown` on reconnecting).
    expect(await seen).not.toBe('restarting');
    expect(await atStatus).toBe(`${fingerprint(SECRET.value)}\nunset`);
    expect(await rightAfter).toBe(fingerprint(SECRET.value));
    expect(injector.status(SOURCE)).toContainEqual(
      expect.objectContaining({ kernelId: kernel.id, state: 'injected' })
    );
  });

  /**
   * A notebook of its own for each further restart: a kernel connection restarted twice may
   * reject a leftover kernel_info future of its own (unhandled, in @jupyterlab/services) when
   * the server dropped that request's IOPub messages.
   */
  async function newNotebook(): Promise<Kernel.IKernelConnection> {
    const context = server.sessionContext('python3');
    injector.addSessionContext(context);
    await context.initialize();
    const kernel = context.session!.kernel!;
    await kernel.info;
    return kernel;
  }

  it('re-injects a kernel restarted with kernel.restart() before the next cell', async () => {
    const kernel = await newNotebook();
    await kernel.restart();
    expect(await run(kernel, pythonFingerprint('X_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
  });

  it('re-injects a kernel restarted by a client it does not follow, once the kernel says it started', async () => {
    // The injector reaches `bare` over its own connection, which sees no `restarting`;
    // ipykernel's `starting` status tells it. No ordering promise here: wait for it.
    const reinjected = new Promise<void>(resolve => {
      let pending = false;
      const onChanged = () => {
        const state = injector
          .status(SOURCE)
          .find(status => status.kernelId === bare.id)?.state;
        pending = pending || state === 'pending';
        if (pending && state === 'injected') {
          injector.changed.disconnect(onChanged);
          resolve();
        }
      };
      injector.changed.connect(onChanged);
    });
    await bare.restart();
    await reinjected;
    expect(await run(bare, pythonFingerprint('X_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
  });

  it('re-injects a kernel the server restarted after it died', async () => {
    const kernel = await newNotebook();
    let firstCell: Promise<string> | undefined;
    const seen = onFirstStatusAfter(kernel, ['autorestarting'], () => {
      firstCell = run(kernel, pythonFingerprint('X_TOKEN'));
    });
    const killed = kernel.requestExecute({
      code: 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)',
      silent: true,
      store_history: false
    });
    // Cancelled by the restart.
    killed.done.catch(() => undefined);
    await seen;
    expect(await firstCell).toBe(fingerprint(SECRET.value));
  });

  it('carries a multi-line value verbatim', async () => {
    const multi = `first line\nsecond "line"\r\n\ttabbed 'é' ${SECRET.core}`;
    await injector.set('multi', { MULTI_TOKEN: multi });
    expect(await run(bare, pythonFingerprint('MULTI_TOKEN'))).toBe(
      fingerprint(multi)
    );
    await injector.clear('multi');
    expect(await run(bare, pythonFingerprint('MULTI_TOKEN'))).toBe('unset');
  });

  it('says a kernel without a snippet for its language is unsupported', async () => {
    const echo = await server.kernelManager.startNew({ name: 'echo' });
    await echo.info;
    await injector.set(SOURCE, { X_TOKEN: SECRET.value });
    expect(injector.status(SOURCE)).toContainEqual({
      kernelId: echo.id,
      kernelName: 'echo',
      language: 'echo',
      state: 'unsupported',
      reason: 'No snippet for language echo; the token was not injected'
    });
    await echo.shutdown();
  });

  it('removes the value from every kernel on clear, and new kernels do not get it', async () => {
    await injector.clear(SOURCE);
    expect(injector.status(SOURCE)).toEqual([]);
    const kernel = notebook.session!.kernel!;
    expect(await run(bare, pythonFingerprint('X_TOKEN'))).toBe('unset');
    expect(await run(kernel, pythonFingerprint('X_TOKEN'))).toBe('unset');
    const later = await server.kernelManager.startNew({ name: 'python3' });
    expect(await run(later, pythonFingerprint('X_TOKEN'))).toBe('unset');
    await later.shutdown();
  });

  it('never sent the value but in input replies: not in code, output, history or logs', async () => {
    const { messages } = server;
    // The value travels hex-encoded: a leak could be either.
    const forms = [SECRET.core, hex(SECRET.core)];
    const leaks = messages.filter(
      ({ msg }) =>
        msg.header.msg_type !== 'input_reply' &&
        forms.some(form => JSON.stringify(msg).includes(form))
    );
    expect(leaks.map(({ msg }) => msg.header.msg_type)).toEqual([]);

    // The recording saw the traffic: the value went, in input replies only.
    const replies = messages.filter(
      ({ msg }) =>
        msg.header.msg_type === 'input_reply' &&
        JSON.stringify(msg).includes(hex(SECRET.core))
    );
    expect(replies.length).toBeGreaterThanOrEqual(4);
    const injections = messages.filter(
      ({ direction, msg }) =>
        direction === 'send' &&
        msg.header.msg_type === 'execute_request' &&
        String((msg.content as { code?: string }).code).includes(
          '__portal_token_set('
        )
    );
    expect(injections.length).toBeGreaterThanOrEqual(4);
    for (const { msg } of injections) {
      expect(msg.content).toMatchObject({ silent: true, store_history: false });
      expect(String((msg.content as { code?: string }).code)).toMatch(
        /__portal_token_set\(\('(X|MULTI)_TOKEN',\)/
      );
    }

    // IPython's history has the user's cells, not the injections.
    const history = await bare.requestHistory({
      hist_access_type: 'tail',
      n: 1000,
      output: true,
      raw: true
    });
    const entries = JSON.stringify(history.content);
    expect(entries).toContain('X_TOKEN');
    expect(entries).not.toContain('__portal_token_set');
    for (const form of forms) {
      expect(entries).not.toContain(form);
    }

    expect(server.log).toContain('Kernel started');
    for (const form of forms) {
      expect(server.log).not.toContain(form);
    }
  });
});
