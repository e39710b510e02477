/**
 * Message-level tests of the kernel injector, against recording fake kernels: what code is
 * sent, where the value travels, and how kernels, widgets and restarts are followed.
 */
import { Buffer } from 'buffer';
import { KernelMessage } from '@jupyterlab/services';
import {
  JULIA,
  KernelInjector,
  PYTHON,
  R,
  snippetsFor,
  StdinAnswers
} from '../injection';
import {
  FakeKernel,
  FakeKernelManager,
  FakeSessionContext,
  fakeSpecManager,
  flush,
  model,
  StdinKernel
} from './injection-fakes';
import { showsSecret } from './own-strings';

/** A value built to break out of any string literal it might be put in. */
const SECRET = `tok-3f9a'"\\;\n)'); import os; os.system("rm -rf /") #\u00e9`;
const OTHER = 'second-value-7c1e';

/** The lowercase hex of a string's UTF-8 bytes: how values travel in the payload. */
function hex(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex');
}

describe('KernelInjector (message level)', () => {
  let manager: FakeKernelManager;
  let injector: KernelInjector;

  beforeEach(() => {
    manager = new FakeKernelManager();
    injector = new KernelInjector({
      kernelManager: manager.manager,
      kernelSpecManager: fakeSpecManager()
    });
  });

  afterEach(() => {
    injector.dispose();
  });

  /** A kernel followed through a widget's session context. */
  function widgetKernel(name: string, options = {}): FakeKernel {
    const kernel = new FakeKernel(model(name), options);
    const context = new FakeSessionContext();
    injector.addSessionContext(context.context);
    context.changeKernel(kernel);
    return kernel;
  }

  /** Every message a kernel was sent, as text, except the input replies. */
  function codeAndRequests(kernel: FakeKernel): string {
    return JSON.stringify(
      kernel.sent.filter(msg => msg.header.msg_type !== 'input_reply')
    );
  }

  function inputReplies(kernel: FakeKernel): KernelMessage.IInputReplyMsg[] {
    return kernel.sent.filter(
      msg => msg.header.msg_type === 'input_reply'
    ) as KernelMessage.IInputReplyMsg[];
  }

  describe.each([
    ['python3', 'python', 'getpass.getpass(', undefined],
    ['ir', 'R', 'readline(', undefined],
    // IJulia's readprompt shows the code's prompt; its plain readline() shows its own.
    ['julia-1.10', 'julia', 'Main.IJulia.readprompt(p', undefined],
    ['julia-1.10', 'julia', 'readline()', 'stdin> ']
  ])('a %s kernel (%s, %s)', (kernelName, language, reader, fixedPrompt) => {
    it('gets code naming the variables and their values only as input replies', async () => {
      const kernel = widgetKernel(kernelName);
      kernel.fixedPrompt = fixedPrompt;
      await injector.set('portal', { X_TOKEN: SECRET, X_HOST: OTHER });

      expect(kernel.requests).toHaveLength(1);
      const request = kernel.requests[0];
      expect(request.msg.content).toMatchObject({
        silent: true,
        store_history: false,
        allow_stdin: true,
        stop_on_error: false
      });
      expect(request.code).toContain(
        '"X_TOKEN"'.replace(/"/g, language === 'python' ? "'" : '"')
      );
      expect(request.code).toContain('X_HOST');
      expect(request.code).toContain(reader);
      const sent = codeAndRequests(kernel);
      for (const value of ['tok-3f9a', OTHER]) {
        expect(sent).not.toContain(value);
        expect(sent).not.toContain(hex(value));
      }

      // The values in input replies only, all in one. The code's own prompt is asked once
      // and answered `F`; a prompt of the kernel's own tells nothing, so the values go with
      // `D` and the end follows.
      const nonce = /[0-9a-f]{32}/.exec(request.code)![0];
      const payload = `X_TOKEN=${hex(SECRET)},X_HOST=${hex(OTHER)}`;
      const replies = inputReplies(kernel);
      expect(replies.map(r => r.content.status)).toEqual(
        replies.map(() => 'ok')
      );
      const values = replies.map(r => (r.content as { value: string }).value);
      if (fixedPrompt === undefined) {
        expect(request.prompts).toEqual([`${nonce}:*`]);
        expect(values).toEqual([`${nonce}:F${payload}`]);
      } else {
        expect(request.prompts).toEqual([fixedPrompt, fixedPrompt]);
        expect(values).toEqual([`${nonce}:D${payload}`, `${nonce}:`]);
      }
      // What the kernel's code keeps.
      expect(request.received).toEqual({ X_TOKEN: SECRET, X_HOST: OTHER });

      expect(injector.status('portal')).toEqual([
        {
          kernelId: kernel.id,
          kernelName,
          language,
          state: 'injected'
        }
      ]);
      expect(JSON.stringify(injector.status('portal'))).not.toContain(
        'tok-3f9a'
      );
      // Held for later kernels, where none of its own properties shows it.
      expect(showsSecret(injector, SECRET)).toBe(false);
    });

    it('removes the variables with code naming them, without stdin', async () => {
      const kernel = widgetKernel(kernelName);
      kernel.fixedPrompt = fixedPrompt;
      await injector.set('portal', { X_TOKEN: SECRET });
      await injector.clear('portal');

      expect(kernel.requests).toHaveLength(2);
      const scrub = kernel.requests[1];
      expect(scrub.msg.content).toMatchObject({
        silent: true,
        store_history: false,
        allow_stdin: false
      });
      const expected = {
        python:
          "[__import__('os').environ.pop(_n, None) for _n in ('X_TOKEN',)]",
        R: 'invisible(Sys.unsetenv(c("X_TOKEN")))',
        julia: 'for n in ("X_TOKEN",); delete!(ENV, n); end;'
      }[language];
      expect(scrub.code).toBe(expected);
      expect(injector.status('portal')).toEqual([]);
    });
  });

  it('has snippets that set the environment from stdin, and quote only checked words', () => {
    expect(PYTHON.set(['A', 'B'], 'n0nce')).toContain(
      "__portal_token_set(('A', 'B',), 'n0nce')"
    );
    expect(PYTHON.set(['A'], 'n0nce')).toContain(
      "bytes.fromhex(h).decode('utf-8')"
    );
    expect(PYTHON.set(['A'], 'n0nce')).toContain('os.environ.update(values)');
    expect(PYTHON.set(['A'], 'n0nce')).toContain('for _ in range(8):');
    expect(PYTHON.set(['A'], 'n0nce')).toContain('del __portal_token_set');
    expect(R.set(['A', 'B'], 'n0nce')).toContain('wanted <- c("A", "B")');
    expect(R.set(['A'], 'n0nce')).toContain('lapply(bytes, rawToChar)');
    expect(R.set(['A'], 'n0nce')).toContain('do.call(Sys.setenv, values)');
    expect(R.set(['A'], 'n0nce')).toContain('for (i in seq_len(8L))');
    expect(R.set(['A'], 'n0nce')).not.toContain('Encoding(');
    expect(JULIA.set(['A'], 'n0nce')).toContain('let wanted = ("A",)');
    expect(JULIA.set(['A'], 'n0nce')).toContain('hex2bytes(p[2])');
    expect(JULIA.set(['A'], 'n0nce')).toContain('String(b)');
    expect(JULIA.set(['A'], 'n0nce')).toContain('ENV[name] = value');
    expect(JULIA.set(['A'], 'n0nce')).toContain('for _ in 1:8');
    expect(snippetsFor('Python')).toBe(PYTHON);
    expect(snippetsFor('r')).toBe(R);
    expect(snippetsFor('Julia')).toBe(JULIA);
    expect(snippetsFor('echo')).toBeUndefined();
    // A language name is no key into the object's prototype.
    expect(snippetsFor('constructor')).toBeUndefined();
    expect(snippetsFor('__proto__')).toBeUndefined();
    expect(() => PYTHON.set(["A') or True or ('"], 'n0nce')).toThrow();
    expect(() => R.set(['A'], 'n0nce"); system("x')).toThrow();
  });

  describe('StdinAnswers', () => {
    const values = { A: 'a', B: '' };
    const payload = 'A=61,B=';

    it('answers the code’s prompt once with every value, final, and never a value again', () => {
      const answers = new StdinAnswers({ values, nonce: 'N' });
      expect(answers.complete).toBe(false);
      expect(showsSecret(answers, payload)).toBe(false);
      expect(answers.answer('N:*')).toBe(`N:F${payload}`);
      expect(answers.complete).toBe(true);
      expect(answers.unasked()).toBeNull();
      // The kernel read something else first: `F` is what it reads next.
      expect(answers.answer('N:*')).toBe('N:');
      expect(answers.answer('stdin> ')).toBe('N:');
      expect(answers.answer('N:')).toBe('N:');
    });

    it('hex-encodes the UTF-8 bytes of each value, whatever it holds', () => {
      const hostile = {
        QUOTES: `'"\``,
        LINES: 'a\nb\r\n',
        SEPARATORS: ':,=;N:F,B=41',
        ACCENT: '\u00e9',
        EMOJI: '\u{1F600}',
        EMPTY: '',
        LONG: 'x'.repeat(32000)
      };
      const answer = new StdinAnswers({ values: hostile, nonce: 'N' }).answer(
        'N:*'
      );
      expect(answer).toMatch(/^N:F[A-Z]+=[0-9a-f]*(,[A-Z]+=[0-9a-f]*)*$/);
      expect(answer).toContain(',ACCENT=c3a9,EMOJI=f09f9880,EMPTY=,LONG=78');
      const kernel = new StdinKernel('N', Object.keys(hostile));
      kernel.read(answer);
      expect(kernel.done).toBe(true);
      expect(kernel.values).toEqual(hostile);
    });

    it('refuses names that could break the payload', () => {
      expect(
        () => new StdinAnswers({ values: { 'A=1,B': 'x' }, nonce: 'N' })
      ).toThrow(/Not a variable name/);
    });

    it('answers unasked once: the values to drain, or only the end once they went', () => {
      const answers = new StdinAnswers({ values, nonce: 'N' });
      expect(answers.unasked()).toBe(`N:D${payload}`);
      expect(answers.unasked()).toBeNull();
      // The request the unasked answer crossed, or that it answered: the values again.
      expect(answers.answer('N:*')).toBe(`N:D${payload}`);
      expect(answers.complete).toBe(false);
      expect(answers.answer('N:')).toBe('N:');
      expect(answers.complete).toBe(true);

      // The values went, the request for the end got lost: only the end is missing.
      const own = new StdinAnswers({ values, nonce: 'N' });
      expect(own.answer('stdin> ')).toBe(`N:D${payload}`);
      expect(own.unasked()).toBe('N:');
      expect(own.complete).toBe(true);
      expect(own.unasked()).toBeNull();
    });

    it('answers prompts of the kernel’s own with the values first, then the end only', () => {
      const answers = new StdinAnswers({ values, nonce: 'N' });
      expect(
        ['stdin> ', 'stdin> ', 'stdin> ', 'stdin> '].map(p => answers.answer(p))
      ).toEqual([`N:D${payload}`, 'N:', 'N:', 'N:']);
      // The unasked answer is no turn: the first prompt may be the one it crossed.
      const late = new StdinAnswers({ values, nonce: 'N' });
      expect(late.unasked()).toBe(`N:D${payload}`);
      expect(['stdin> ', 'stdin> '].map(p => late.answer(p))).toEqual([
        `N:D${payload}`,
        'N:'
      ]);
    });

    /**
     * The exchange with a kernel's stdin as a queue: each input request is sent (or lost on the
     * way, `lost`) before the kernel reads the queue's head; a kernel that `purges` empties the
     * queue before each request (ipykernel does, IRkernel does not). The unasked answer is sent
     * just before the request numbered `unaskedBefore` reaches the frontend (`unaskedPurged`:
     * it reached the kernel before its purge), or in the silence after a lost one. `stale`
     * answers wait in the queue from an earlier injection. Returns what the kernel took and
     * what is left in the queue.
     */
    function simulate(options: {
      fixedPrompt?: string;
      purges?: boolean;
      lost?: number[];
      unaskedBefore?: number;
      unaskedPurged?: boolean;
      stale?: string[];
    }): { values: Record<string, string> | null; left: string[] } {
      const answers = new StdinAnswers({ values, nonce: 'N' });
      const kernel = new StdinKernel(
        'N',
        Object.keys(values),
        options.fixedPrompt
      );
      let queue = [...(options.stale ?? [])];
      for (let request = 0; !kernel.done; request++) {
        const unasked =
          request === options.unaskedBefore ? answers.unasked() : null;
        if (options.purges) {
          queue = [];
        }
        if (unasked !== null && !(options.purges && options.unaskedPurged)) {
          queue.push(unasked);
        }
        if (options.lost?.includes(request)) {
          const late = answers.complete ? null : answers.unasked();
          if (late !== null) {
            queue.push(late);
          }
        } else {
          queue.push(answers.answer(kernel.prompt()));
        }
        if (queue.length === 0) {
          throw new Error('the kernel waits forever');
        }
        kernel.read(queue.shift()!);
      }
      return { values: kernel.values, left: queue };
    }

    const SCENARIOS: [string, Parameters<typeof simulate>[0]][] = [
      ['the normal case', {}],
      ['the first request lost', { lost: [0] }],
      ['the second request lost', { lost: [1] }],
      ['an unasked answer crossing the first request', { unaskedBefore: 0 }],
      [
        'an unasked answer crossing the first request, after the purge',
        { unaskedBefore: 0, purges: true }
      ],
      [
        'an unasked answer crossing the first request, purged',
        { unaskedBefore: 0, purges: true, unaskedPurged: true }
      ],
      ['an unasked answer crossing the second request', { unaskedBefore: 1 }],
      ['a stale end in the queue', { stale: ['M:'] }],
      [
        'a stale end and an unasked answer crossing the first request',
        { stale: ['M:'], unaskedBefore: 0 }
      ],
      ['a stale payload of another nonce', { stale: ['M:FA=62,B='] }]
    ];

    describe.each([
      ['the code’s prompts', undefined],
      ['prompts of the kernel’s own', 'stdin> ']
    ])('with %s', (_, fixedPrompt) => {
      it.each(SCENARIOS)(
        '%s: the kernel takes the values, and no value is left over',
        (__, options) => {
          const { values: got, left } = simulate({ fixedPrompt, ...options });
          expect(got).toEqual(values);
          // At most the end can be left: it holds no value.
          expect(left.filter(answer => answer !== 'N:')).toEqual([]);
        }
      );
    });

    it('takes one round trip in the normal case, three when an unasked answer crossed a request', () => {
      const normal = new StdinKernel('N', ['A', 'B']);
      const answers = new StdinAnswers({ values, nonce: 'N' });
      normal.read(answers.answer(normal.prompt()));
      expect(normal.done).toBe(true);
      expect(normal.reads).toBe(1);
      expect(simulate({ unaskedBefore: 0 }).left).toEqual(['N:']);
    });
  });

  it('answers unasked when a running injection asks nothing (a lost input request)', async () => {
    jest.useFakeTimers();
    try {
      const kernel = widgetKernel('python3', { autoAnswer: false });
      const done = injector.set('portal', { X_TOKEN: SECRET });
      const request = kernel.requests[0];
      // Queued behind a user cell: nothing is sent, however long it waits.
      jest.advanceTimersByTime(5000);
      expect(kernel.sent).toHaveLength(1);
      // Our code runs; its input request is lost on the way.
      request.busy();
      jest.advanceTimersByTime(200);
      expect(kernel.sent).toHaveLength(1);
      jest.advanceTimersByTime(600);
      const nonce = /[0-9a-f]{32}/.exec(request.code)![0];
      // The values, to drain: the request may only be late, and get its own answer.
      expect(inputReplies(kernel).map(r => (r.content as any).value)).toEqual([
        `${nonce}:DX_TOKEN=${hex(SECRET)}`
      ]);
      // Once only.
      jest.advanceTimersByTime(5000);
      expect(inputReplies(kernel)).toHaveLength(1);
      // The kernel took it; its request for the end gets through.
      expect(request.ask(`${nonce}:`)).toBe(`${nonce}:`);
      request.reply();
      jest.useRealTimers();
      await done;
      expect(injector.status('portal')[0].state).toBe('injected');
      expect(inputReplies(kernel)).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers a request that comes after its unasked answer with the values to drain, then the end', async () => {
    jest.useFakeTimers();
    try {
      const kernel = widgetKernel('python3', { autoAnswer: false });
      const done = injector.set('portal', { X_TOKEN: SECRET });
      const request = kernel.requests[0];
      request.busy();
      jest.advanceTimersByTime(800);
      const unasked = inputReplies(kernel).map(r => (r.content as any).value);
      expect(unasked).toHaveLength(1);
      // The request was late, not lost: the kernel (one that keeps what it was sent) reads
      // the unasked answer for it, then this request's answer for its request for the end.
      const model = StdinKernel.fromCode(request.code);
      const queue = [...unasked];
      while (!model.done) {
        queue.push(request.ask(model.prompt())!);
        model.read(queue.shift()!);
      }
      expect(model.values).toEqual({ X_TOKEN: SECRET });
      expect(request.prompts).toEqual([
        `${model.nonce}:*`,
        `${model.nonce}:`,
        `${model.nonce}:`
      ]);
      // Left over: the answer to its last request, the end.
      expect(queue).toEqual([`${model.nonce}:`]);
      request.reply();
      jest.useRealTimers();
      await done;
      expect(injector.status('portal')[0].state).toBe('injected');
      expect(inputReplies(kernel)).toHaveLength(4);
    } finally {
      jest.useRealTimers();
    }
  });

  it.each([
    ['1TOKEN'],
    ['X-TOKEN'],
    ['X TOKEN'],
    [''],
    ["X'); import os; ('"],
    ['X_TOKÉN'],
    ['X\nY']
  ])('rejects the variable name %j and sends nothing', async name => {
    const kernel = widgetKernel('python3');
    await expect(injector.set('portal', { [name]: SECRET })).rejects.toThrow(
      /cannot be an environment variable name/
    );
    expect(kernel.sent).toHaveLength(0);
    expect(injector.status('portal')).toEqual([]);
  });

  it('refuses a value holding NUL, saying why and without quoting it', async () => {
    const kernel = widgetKernel('python3');
    const error = await injector
      .set('portal', { X_TOKEN: 'abc\0def' })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/X_TOKEN.*NUL/);
    expect((error as Error).message).not.toContain('abc');
    expect(kernel.sent).toHaveLength(0);
  });

  it('carries a multi-line value verbatim in one input reply', async () => {
    const kernel = widgetKernel('python3');
    await injector.set('portal', { X_TOKEN: 'line1\nline2\r\n' });
    expect(kernel.requests[0].received).toEqual({
      X_TOKEN: 'line1\nline2\r\n'
    });
  });

  it('marks a kernel without a snippet for its language as unsupported and sends nothing', async () => {
    const kernel = widgetKernel('echo');
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(kernel.sent).toHaveLength(0);
    const [status] = injector.status('portal');
    expect(status).toMatchObject({ language: 'echo', state: 'unsupported' });
    expect(status.reason).toBe(
      'No snippet for language echo; the token was not injected'
    );
  });

  it('reports a kernel error by its name only, never its text', async () => {
    const kernel = widgetKernel('python3', { autoAnswer: false });
    const done = injector.set('portal', { X_TOKEN: SECRET });
    const request = kernel.requests[0];
    request.ask('X_TOKEN');
    request.reply({
      status: 'error',
      ename: 'ValueError',
      evalue: `bad value ${SECRET}`,
      traceback: [`ValueError: ${SECRET}`]
    });
    await done;
    const [status] = injector.status('portal');
    expect(status.state).toBe('failed');
    expect(status.reason).toContain('ValueError');
    expect(status.reason).not.toContain('tok-3f9a');
  });

  it('fails, without an unhandled rejection, when the kernel dies during injection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const kernel = widgetKernel('python3', { autoAnswer: false });
      // The server still lists it, dead.
      manager.models = [{ ...kernel.model, execution_state: 'dead' }];
      const done = injector.set('portal', { X_TOKEN: SECRET });
      expect(injector.status('portal')[0].state).toBe('pending');
      kernel.setStatus('dead');
      kernel.dispose();
      await done;
      await flush();
      const [status] = injector.status('portal');
      expect(status.state).toBe('failed');
      expect(status.reason).toBe('The kernel died');
      expect(unhandled).not.toHaveBeenCalled();
      // Nobody connects to a dead kernel.
      expect(manager.connections).toHaveLength(0);
      // Once the server forgets it, so does the injector.
      manager.models = [];
      manager.runningChanged.emit([]);
      expect(injector.status('portal')).toEqual([]);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('injects many kernels in parallel, not one after another', async () => {
    const kernels = Array.from({ length: 5 }, () =>
      widgetKernel('python3', { autoAnswer: false })
    );
    let settled = false;
    const done = injector.set('portal', { X_TOKEN: SECRET }).then(() => {
      settled = true;
    });
    await flush();
    // Every kernel has its request before any kernel answered.
    expect(kernels.map(k => k.requests.length)).toEqual([1, 1, 1, 1, 1]);
    for (const kernel of kernels.slice(0, 4)) {
      kernel.answer(kernel.requests[0]);
    }
    await flush();
    expect(settled).toBe(false);
    kernels[4].answer(kernels[4].requests[0]);
    await done;
    expect(injector.status('portal').map(s => s.state)).toEqual(
      Array(5).fill('injected')
    );
  });

  it('sends to a widget’s new kernel synchronously, in the kernelChanged handler', async () => {
    await injector.set('portal', { X_TOKEN: SECRET });
    const context = new FakeSessionContext();
    injector.addSessionContext(context.context);
    const kernel = new FakeKernel(model('python3'), { autoAnswer: false });
    let sentWhenUserSaw = -1;
    // A listener connected after the injector, like the user's first cell.
    context.kernelChanged.connect(() => {
      sentWhenUserSaw = kernel.sent.length;
    });
    context.changeKernel(kernel);
    expect(sentWhenUserSaw).toBe(1);
    expect(kernel.requests[0].code).toContain('X_TOKEN');
  });

  it('follows an already running widget kernel when its context is added', async () => {
    await injector.set('portal', { X_TOKEN: SECRET });
    const context = new FakeSessionContext();
    const kernel = new FakeKernel(model('ir'), { autoAnswer: false });
    context.session = { kernel: kernel.connection };
    injector.addSessionContext(context.context);
    expect(kernel.requests).toHaveLength(1);
  });

  it('re-injects after a restart in a microtask, not inside the status handler', async () => {
    const kernel = widgetKernel('python3');
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(kernel.requests).toHaveLength(1);

    kernel.setStatus('restarting');
    // Sent now it would be dropped by the connection's _clearKernelState().
    expect(kernel.requests).toHaveLength(1);
    expect(injector.status('portal')[0].state).toBe('pending');
    await Promise.resolve();
    expect(kernel.requests).toHaveLength(2);
    await flush();
    expect(injector.status('portal')[0].state).toBe('injected');
    expect(kernel.requests[1].received).toEqual({ X_TOKEN: SECRET });
  });

  it('re-injects an autorestarted kernel at the status that follows, ahead of later listeners', async () => {
    const kernel = widgetKernel('python3');
    await injector.set('portal', { X_TOKEN: SECRET });
    let seenByUser = -1;
    kernel.statusChanged.connect((_, status) => {
      if (status === 'unknown') {
        seenByUser = kernel.requests.length;
      }
    });
    // What KernelConnection does: `restarting`, then in one microtask `autorestarting`,
    // _clearKernelState() and reconnect(), which goes `unknown`.
    kernel.setStatus('restarting');
    kernel.setStatus('autorestarting');
    expect(kernel.requests).toHaveLength(1);
    kernel.setStatus('unknown');
    expect(seenByUser).toBe(2);
    await flush();
    expect(kernel.requests).toHaveLength(2);
  });

  it('re-injects over a fresh connection when a kernel announces a new process it was not seen restarting', async () => {
    jest.useFakeTimers();
    try {
      manager.models = [model('python3')];
      const done = injector.set('portal', { X_TOKEN: SECRET });
      await jest.runAllTimersAsync();
      await done;
      const [own] = manager.connections;
      expect(own.requests).toHaveLength(1);
      // Our own new connection takes `starting` for the start it was made for.
      own.setStatus('starting');
      expect(manager.connections).toHaveLength(1);

      await jest.advanceTimersByTimeAsync(5000);
      own.setStatus('idle');
      own.setStatus('starting');
      expect(own.isDisposed).toBe(true);
      expect(manager.connections).toHaveLength(2);
      expect(manager.connections[1].requests).toHaveLength(1);
      await jest.runAllTimersAsync();
      expect(injector.status('portal')[0].state).toBe('injected');
    } finally {
      jest.useRealTimers();
    }
  });

  it('re-injects when another client restarts the kernel (ipykernel’s shutdown_reply, then a new session)', async () => {
    jest.useFakeTimers();
    try {
      manager.models = [model('python3')];
      const done = injector.set('portal', { X_TOKEN: SECRET });
      await jest.runAllTimersAsync();
      await done;
      const [own] = manager.connections;
      expect(own.requests).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(5000);

      own.receive('shutdown_reply', { status: 'ok', restart: true }, 'old');
      // The old process's last words change nothing.
      own.receive('status', { execution_state: 'idle' }, 'old');
      expect(manager.connections).toHaveLength(1);
      // Until the new process speaks, it is asked to.
      await jest.advanceTimersByTimeAsync(1100);
      expect(own.infoRequests).toBe(2);
      own.receive('status', { execution_state: 'busy' }, 'new');
      // Over a fresh connection: the server's sockets behind this one may be deaf to the new
      // process.
      expect(own.isDisposed).toBe(true);
      expect(manager.connections).toHaveLength(2);
      expect(manager.connections[1].requests).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(5000);
      expect(own.infoRequests).toBe(2);
      expect(injector.status('portal')[0].state).toBe('injected');
    } finally {
      jest.useRealTimers();
    }
  });

  it('leaves a restart to the followed connection that made it', async () => {
    const kernel = widgetKernel('python3');
    const other = new FakeKernel(kernel.model);
    const context = new FakeSessionContext();
    injector.addSessionContext(context.context);
    context.changeKernel(other);
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(kernel.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);

    kernel.setStatus('restarting');
    other.receive('shutdown_reply', { status: 'ok', restart: true }, 'old');
    other.receive('status', { execution_state: 'busy' }, 'new');
    other.setStatus('starting');
    await flush();
    expect(kernel.requests).toHaveLength(2);
    expect(other.requests).toHaveLength(0);
    expect(manager.connections).toHaveLength(0);
  });

  it('connects to kernels without a widget, and lets go when a widget follows them', async () => {
    const running = model('ir');
    manager.models = [running];
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(manager.connections).toHaveLength(1);
    const [own] = manager.connections;
    expect(own.requests).toHaveLength(1);
    expect(injector.status('portal')).toEqual([
      expect.objectContaining({ kernelId: running.id, state: 'injected' })
    ]);

    // A kernel started later, by anyone.
    const later = manager.add('python3');
    expect(manager.connections).toHaveLength(2);
    await flush();
    expect(manager.connections[1].requests).toHaveLength(1);
    expect(injector.status('portal').map(s => s.kernelId)).toContain(later.id);

    // A widget now follows the first kernel: our own connection is closed.
    const widget = new FakeKernel(running);
    const context = new FakeSessionContext();
    injector.addSessionContext(context.context);
    context.changeKernel(widget);
    expect(own.isDisposed).toBe(true);
    // The kernel already holds the variables: no need to send them again.
    expect(widget.requests).toHaveLength(0);
  });

  it('forgets a kernel that is shut down', async () => {
    manager.models = [model('python3')];
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(injector.status('portal')).toHaveLength(1);
    manager.remove(manager.models[0].id);
    await flush();
    expect(injector.status('portal')).toHaveLength(0);
  });

  it('injects a new kernel of an already set source, and removes replaced names', async () => {
    await injector.set('portal', { OLD_TOKEN: SECRET });
    const kernel = widgetKernel('python3');
    expect(kernel.requests).toHaveLength(1);
    await flush();
    await injector.set('portal', { NEW_TOKEN: OTHER });
    const code = kernel.requests[1].code;
    expect(code).toContain("environ.pop(_n, None) for _n in ('OLD_TOKEN',)");
    expect(code).toContain("__portal_token_set(('NEW_TOKEN',)");
    expect(kernel.requests[1].received).toEqual({ NEW_TOKEN: OTHER });
  });

  it('keeps sources apart', async () => {
    const kernel = widgetKernel('python3');
    await injector.set('a', { A_TOKEN: SECRET });
    await injector.set('b', { B_TOKEN: OTHER });
    expect(kernel.requests).toHaveLength(2);
    await injector.clear('a');
    expect(kernel.requests[2].code).toContain("'A_TOKEN'");
    expect(kernel.requests[2].code).not.toContain('B_TOKEN');
    expect(injector.status('a')).toEqual([]);
    expect(injector.status('b')).toHaveLength(1);
  });

  it('waits for the kernel to tell its language when no spec is cached', async () => {
    const kernel = widgetKernel('nospec', { autoAnswer: true });
    const done = injector.set('portal', { X_TOKEN: SECRET });
    await flush();
    expect(kernel.requests).toHaveLength(0);
    expect(injector.status('portal')[0]).toMatchObject({
      language: '',
      state: 'pending'
    });
    kernel.answerInfo('python');
    await done;
    expect(kernel.requests).toHaveLength(1);
    expect(injector.status('portal')[0]).toMatchObject({
      language: 'python',
      state: 'injected'
    });
  });

  it('sends the right code again when the kernel contradicts its spec', async () => {
    const kernel = widgetKernel('python3', { infoLanguage: 'R' });
    await injector.set('portal', { X_TOKEN: SECRET });
    expect(kernel.requests[0].code).toContain('getpass');
    kernel.answerInfo();
    await flush();
    expect(kernel.requests).toHaveLength(2);
    expect(kernel.requests[1].code).toContain('Sys.setenv');
    expect(injector.status('portal')[0]).toMatchObject({
      language: 'R',
      state: 'injected'
    });
  });

  it('emits changed on every status change', async () => {
    const changes: string[] = [];
    injector.changed.connect(() => {
      changes.push(injector.status('portal')[0]?.state ?? 'none');
    });
    widgetKernel('python3');
    await injector.set('portal', { X_TOKEN: SECRET });
    await injector.clear('portal');
    expect(changes).toEqual(['pending', 'injected', 'none']);
  });

  it('is disposed safely twice, closing only its own connections', async () => {
    manager.models = [model('python3')];
    const widget = widgetKernel('ir');
    await injector.set('portal', { X_TOKEN: SECRET });
    const [own] = manager.connections;
    let changes = 0;
    injector.changed.connect(() => changes++);
    injector.dispose();
    injector.dispose();
    expect(injector.isDisposed).toBe(true);
    expect(own.isDisposed).toBe(true);
    expect(widget.isDisposed).toBe(false);
    // Disconnected from everything.
    widget.setStatus('restarting');
    await flush();
    expect(widget.requests).toHaveLength(1);
    expect(changes).toBe(0);
    await expect(injector.set('portal', { X_TOKEN: SECRET })).rejects.toThrow();
  });
});
