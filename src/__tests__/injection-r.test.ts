/**
 * The kernel injector against real IRkernel kernels behind a real Jupyter server.
 *
 * IRkernel broadcasts the code of every request on IOPub, silent ones included, and answers
 * `readline()` from stdin: the code names the variable, the value travels as an input reply.
 * Skipped, saying why, only where R or IRkernel is not installed.
 */
import type { SessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { KernelInjector } from '../injection';
import {
  fingerprint,
  hex,
  IR_SPEC,
  irkernelMissing,
  makeSecret,
  onFirstStatusAfter,
  rFingerprint,
  run,
  stdinOf,
  TestServer
} from './injection-server';

const SOURCE = 'xdmod';
const SECRET = makeSecret();
/** What a naive injector would do: set a variable late, once the kernel has answered. */
const LATE = 'Sys.setenv(LATE_TOKEN = "late")';

const missing = irkernelMissing();
if (missing) {
  // A visible reason in the output, not a silent pass.
  console.warn(`Skipping the IRkernel injection tests: ${missing}`);
}
const describeIfR = missing ? describe.skip : describe;

describeIfR('KernelInjector with IRkernel', () => {
  const server = new TestServer();
  let injector: KernelInjector;
  /** A kernel without a widget, started before the variables were set. */
  let bare: Kernel.IKernelConnection;
  /** A notebook's session context. */
  let notebook: SessionContext;

  beforeAll(async () => {
    // Installed into the server's own data directory: no system-wide registration needed.
    await server.start({ ir: IR_SPEC });
    injector = server.injector();
  }, 60000);

  afterAll(() => server.shutdown(), 30000);

  it('injects a running kernel that has no widget; a cell sees the value', async () => {
    bare = await server.kernelManager.startNew({ name: 'ir' });
    await bare.info;
    const globals = 'cat(ls(globalenv(), all.names = TRUE), "\\n")';
    const before = await run(bare, globals);
    await injector.set(SOURCE, { X_TOKEN: SECRET.value });
    expect(injector.status(SOURCE)).toEqual([
      {
        kernelId: bare.id,
        kernelName: 'ir',
        language: 'R',
        state: 'injected'
      }
    ]);
    expect(await run(bare, rFingerprint('X_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
    // Nothing is left behind in the global environment.
    expect(await run(bare, globals)).toBe(before);
    // One input request, answered once, with the value hex-encoded.
    const { requests, replies } = stdinOf(
      server.messages,
      'wanted <- c("X_TOKEN")'
    );
    expect(requests).toEqual([expect.stringMatching(/^[0-9a-f]{32}:\*$/)]);
    expect(replies).toEqual([
      `${requests[0].slice(0, -1)}FX_TOKEN=${hex(SECRET.value)}`
    ]);
  });

  it('gives a widget’s new kernel the value before its first cell', async () => {
    notebook = server.sessionContext('ir');
    injector.addSessionContext(notebook);
    let firstCell: Promise<string> | undefined;
    notebook.kernelChanged.connect((_, args) => {
      const kernel = args.newValue;
      if (!kernel || firstCell) {
        return;
      }
      // The control: sent once the kernel has answered kernel_info, it must lose the race.
      void kernel.info.then(() =>
        kernel.requestExecute({
          code: LATE,
          silent: true,
          store_history: false
        })
      );
      firstCell = run(
        kernel,
        `${rFingerprint('X_TOKEN')}\n${rFingerprint('LATE_TOKEN')}`
      );
    });
    await notebook.initialize();
    expect(await firstCell).toBe(`${fingerprint(SECRET.value)}\nunset`);
  });

  it('re-injects a restarted kernel ahead of a cell sent at the first status change', async () => {
    const kernel = notebook.session!.kernel!;
    let atStatus: Promise<string> | undefined;
    const seen = onFirstStatusAfter(kernel, ['restarting'], () => {
      atStatus = run(
        kernel,
        `${rFingerprint('X_TOKEN')}\n${rFingerprint('LATE_TOKEN')}`
      );
    });
    await notebook.restartKernel();
    kernel.requestExecute({ code: LATE, silent: true, store_history: false });
    const rightAfter = run(kernel, rFingerprint('X_TOKEN'));
    await seen;
    expect(await atStatus).toBe(`${fingerprint(SECRET.value)}\nunset`);
    expect(await rightAfter).toBe(fingerprint(SECRET.value));
  });

  /**
   * A notebook of its own for each further restart: a kernel connection restarted twice may
   * reject a leftover kernel_info future of its own (unhandled, in @jupyterlab/services) when
   * the server dropped that request's IOPub messages.
   */
  async function newNotebook(): Promise<Kernel.IKernelConnection> {
    const context = server.sessionContext('ir');
    injector.addSessionContext(context);
    await context.initialize();
    const kernel = context.session!.kernel!;
    await kernel.info;
    return kernel;
  }

  it('re-injects a kernel restarted with kernel.restart() before the next cell', async () => {
    const kernel = await newNotebook();
    await kernel.restart();
    expect(await run(kernel, rFingerprint('X_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
  });

  it('re-injects a kernel the server restarted after it died', async () => {
    const kernel = await newNotebook();
    let firstCell: Promise<string> | undefined;
    const seen = onFirstStatusAfter(kernel, ['autorestarting'], () => {
      firstCell = run(kernel, rFingerprint('X_TOKEN'));
    });
    const killed = kernel.requestExecute({
      code: 'tools::pskill(Sys.getpid(), tools::SIGKILL)',
      silent: true,
      store_history: false
    });
    // Cancelled by the restart.
    killed.done.catch(() => undefined);
    await seen;
    expect(await firstCell).toBe(fingerprint(SECRET.value));
  });

  it('carries a multi-line value verbatim', async () => {
    const multi = `first line\nsecond "line"\r\n\ttabbed '${SECRET.core}'`;
    await injector.set('multi', { MULTI_TOKEN: multi });
    expect(await run(bare, rFingerprint('MULTI_TOKEN'))).toBe(
      fingerprint(multi)
    );
    await injector.clear('multi');
  });

  it('removes the value from every kernel on clear', async () => {
    await injector.clear(SOURCE);
    expect(injector.status(SOURCE)).toEqual([]);
    expect(await run(bare, rFingerprint('X_TOKEN'))).toBe('unset');
    expect(await run(notebook.session!.kernel!, rFingerprint('X_TOKEN'))).toBe(
      'unset'
    );
  });

  it('never sent the value but in input replies, though IRkernel broadcasts the code', async () => {
    const { messages } = server;
    // The value travels hex-encoded: a leak could be either.
    const forms = [SECRET.core, hex(SECRET.core)];
    const leaks = messages.filter(
      ({ msg }) =>
        msg.header.msg_type !== 'input_reply' &&
        forms.some(form => JSON.stringify(msg).includes(form))
    );
    expect(leaks.map(({ msg }) => msg.header.msg_type)).toEqual([]);

    // The broadcast is there, and carries the names only.
    const broadcasts = messages.filter(
      ({ direction, msg }) =>
        direction === 'recv' &&
        msg.header.msg_type === 'execute_input' &&
        String((msg.content as { code?: string }).code).includes(
          'readline(paste0(prefix'
        )
    );
    expect(broadcasts.length).toBeGreaterThanOrEqual(3);
    const replies = messages.filter(
      ({ msg }) =>
        msg.header.msg_type === 'input_reply' &&
        JSON.stringify(msg).includes(hex(SECRET.core))
    );
    expect(replies.length).toBeGreaterThanOrEqual(3);

    expect(server.log).toContain('Kernel started');
    for (const form of forms) {
      expect(server.log).not.toContain(form);
    }
  });
});
