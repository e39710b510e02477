/**
 * Helpers for the injector tests that run real kernels behind a real Jupyter server.
 */
import { Buffer } from 'buffer';
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SessionContext } from '@jupyterlab/apputils';
import {
  Kernel,
  KernelConnection,
  KernelManager,
  KernelMessage,
  KernelSpecManager,
  SessionManager
} from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { KernelInjector } from '../injection';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * @jupyterlab/services sends `kernel_info` whenever a connection (re)connects and drops the
 * promise (`void p.then(…)` in `KernelConnection._updateConnectionStatus`), with a timeout as
 * its failsafe. When a kernel restart cancels that request, the rejection ("Canceled future for
 * kernel_info_request…") is unhandled, and jest fails whichever test runs at that moment: seen
 * under load after the restart tests. Not the injector's (its own requests catch). In these
 * suites a cancelled `kernel_info` request stays pending instead, which is what that dropped
 * promise's `then` sees anyway (JupyterLab's timeout goes on); every other failure rejects.
 */
const requestKernelInfo = KernelConnection.prototype.requestKernelInfo;
KernelConnection.prototype.requestKernelInfo = function (
  this: KernelConnection
) {
  return requestKernelInfo
    .call(this)
    .catch((error: unknown) =>
      String(error).includes('Canceled future for kernel_info_request')
        ? new Promise<never>(() => undefined)
        : Promise.reject(error)
    );
};

/**
 * A secret built to break out of any string literal it would be put in. Its uuid core is what
 * the tests look for in every message and log: any leak, whole or partial-but-recognisable.
 */
export function makeSecret(): { value: string; core: string } {
  const core = UUID.uuid4();
  return {
    core,
    value: `tok-${core}'"\\; print("pwned") #`
  };
}

/**
 * What a cell prints for a variable: its code points reversed, or `unset`. The cell never
 * prints the value itself, so the secret must appear in no kernel output at all.
 */
export function fingerprint(value: string | undefined): string {
  if (value === undefined) {
    return 'unset';
  }
  return Array.from(value, c => c.codePointAt(0))
    .reverse()
    .join(',');
}

/** A cell printing `fingerprint(os.environ.get(name))` and a newline. */
export function pythonFingerprint(name: string): string {
  return [
    'import os as _o',
    `_v = _o.environ.get('${name}')`,
    "print('unset' if _v is None else ','.join(str(ord(c)) for c in reversed(_v)))"
  ].join('\n');
}

/** A cell printing `fingerprint(Sys.getenv(name))` and a newline. */
export function rFingerprint(name: string): string {
  return (
    `local({ v <- Sys.getenv("${name}", unset = NA); ` +
    'cat(if (is.na(v)) "unset" else paste(rev(utf8ToInt(v)), collapse = ","), "\\n", sep = "") })'
  );
}

/**
 * What the digest cells print for a variable: the SHA-256 of its UTF-8 bytes in hex, or `unset`.
 * A digest, unlike a fingerprint, says nothing of the value, and stays short for a long one.
 */
export function digest(value: string | undefined): string {
  if (value === undefined) {
    return 'unset';
  }
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * A cell printing, one a line, `digest()` of the variables named `sprintf(pattern, i)` for
 * `i` in `0 … count - 1`, read as the bytes the process environment holds (`os.environb`).
 * It binds no name.
 */
export function pythonDigests(pattern: string, count: number): string {
  return (
    "print('\\n'.join((lambda env, sha: [sha(env[n]).hexdigest() if n in env else 'unset' " +
    `for n in (b'${pattern}' % i for i in range(${count}))])` +
    "(__import__('os').environb, __import__('hashlib').sha256)))"
  );
}

/**
 * The R cell of `pythonDigests`: the bytes `Sys.getenv` returns, hashed by `digest` (a
 * dependency of IRkernel).
 */
export function rDigests(pattern: string, count: number): string {
  return (
    `local({ v <- Sys.getenv(sprintf("${pattern}", seq_len(${count}) - 1L), unset = NA, names = FALSE); ` +
    'cat(vapply(v, function(x) if (is.na(x)) "unset" else ' +
    'digest::digest(charToRaw(x), algo = "sha256", serialize = FALSE), "", USE.NAMES = FALSE), ' +
    'sep = "\\n") })'
  );
}

/**
 * Send a cell the way a notebook does (not silent, stored in history) right now, and
 * resolve with what it printed (errors as `ERROR <name>`). A line the cell reads (`input()`,
 * `readline()`) is answered with `typed`, as a person would.
 */
export function run(
  kernel: Kernel.IKernelConnection,
  code: string,
  typed?: string
): Promise<string> {
  const future = kernel.requestExecute({ code, store_history: true }, true);
  if (typed !== undefined) {
    future.onStdin = msg => {
      if (KernelMessage.isInputRequestMsg(msg)) {
        kernel.sendInputReply(
          { status: 'ok', value: typed },
          msg.header as KernelMessage.IHeader<'input_request'>
        );
      }
    };
  }
  let out = '';
  future.onIOPub = msg => {
    if (KernelMessage.isStreamMsg(msg)) {
      out += msg.content.text;
    } else if (KernelMessage.isErrorMsg(msg)) {
      out += `ERROR ${msg.content.ename}\n`;
    }
  };
  return future.done.then(() => out.trim());
}

/** The lowercase hex of a string's UTF-8 bytes: how values travel to the kernel. */
export function hex(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex');
}

/** What `exchange` saw: the prompts of the input requests, and the reply. */
export interface IExchange {
  prompts: string[];
  reply: KernelMessage.IExecuteReplyMsg['content'];
}

/**
 * Run injection code as the injector does (silent, stdin allowed), answering its input requests
 * by hand: `respond` gets each prompt and a `send`, which it may call now, later, more than once
 * or never (a lost request). `crossing` is sent right after the request, before any input
 * request can reach us: an unasked answer crossing the kernel's first request.
 */
export async function exchange(
  kernel: Kernel.IKernelConnection,
  code: string,
  respond: (prompt: string, send: (value: string) => void) => void,
  options: { crossing?: string; silent?: boolean } = {}
): Promise<IExchange> {
  const future = kernel.requestExecute(
    {
      code,
      silent: options.silent ?? true,
      store_history: false,
      allow_stdin: true,
      stop_on_error: false
    },
    true
  );
  let parent: KernelMessage.IHeader = future.msg.header;
  const send = (value: string) =>
    kernel.sendInputReply(
      { status: 'ok', value },
      parent as KernelMessage.IHeader<'input_request'>
    );
  const prompts: string[] = [];
  future.onStdin = msg => {
    if (KernelMessage.isInputRequestMsg(msg)) {
      prompts.push(String(msg.content.prompt));
      parent = msg.header;
      respond(String(msg.content.prompt), send);
    }
  };
  if (options.crossing !== undefined) {
    send(options.crossing);
  }
  const reply = await future.done;
  return { prompts, reply: reply.content };
}

/**
 * The input requests a kernel made for the execute request whose code includes `marker`
 * (the latest such request), and the input replies sent to them (unasked ones included), as
 * recorded.
 */
export function stdinOf(
  messages: IRecorded[],
  marker: string
): { requests: string[]; replies: string[] } {
  const sent = messages.filter(
    ({ direction, msg }) =>
      direction === 'send' &&
      msg.header.msg_type === 'execute_request' &&
      String((msg.content as { code?: string }).code).includes(marker)
  );
  const id = sent[sent.length - 1]?.msg.header.msg_id;
  const requests = messages.filter(
    ({ direction, msg }) =>
      direction === 'recv' &&
      msg.header.msg_type === 'input_request' &&
      (msg.parent_header as { msg_id?: string }).msg_id === id
  );
  const parents = new Set<string | undefined>([
    id,
    ...requests.map(({ msg }) => msg.header.msg_id)
  ]);
  const replies = messages.filter(
    ({ direction, msg }) =>
      direction === 'send' &&
      msg.header.msg_type === 'input_reply' &&
      parents.has((msg.parent_header as { msg_id?: string }).msg_id)
  );
  return {
    requests: requests.map(({ msg }) =>
      String((msg.content as { prompt?: string }).prompt)
    ),
    replies: replies.map(({ msg }) =>
      String((msg.content as { value?: string }).value)
    )
  };
}

/** Every message any connection of a kernel manager sent or received. */
export interface IRecorded {
  direction: 'send' | 'recv';
  msg: KernelMessage.IMessage;
}

/**
 * A Jupyter server for one test file, with managers whose every kernel connection
 * (ours, the injector's, the session contexts') is recorded.
 */
export class TestServer {
  /** Every message of every connection. */
  readonly messages: IRecorded[] = [];
  /** Everything the server printed. */
  log = '';
  kernelManager!: KernelManager;
  specsManager!: KernelSpecManager;
  sessionManager!: SessionManager;

  /**
   * Start the server, the jupyter of the repository's venv first on PATH. `config` adds to
   * (or overrides) the server's traitlets configuration, by class.
   */
  async start(
    additionalKernelSpecs: Record<string, unknown> = {},
    config: Record<string, Record<string, unknown>> = {}
  ): Promise<void> {
    const bin = path.join(REPO, '.venv', 'bin');
    if (fs.existsSync(path.join(bin, 'jupyter-lab'))) {
      process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
    }
    // The server's output: kept (to search it for the secret), not printed.
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
    const write = process.stdout.write;
    this._restore = () => {
      process.stdout.write = write;
    };
    process.stdout.write = ((chunk: string | Uint8Array) => {
      this.log += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    await this._server.start({
      additionalKernelSpecs: additionalKernelSpecs as any,
      configData: {
        ...config,
        // Containers run tests as root.
        ServerApp: { allow_root: true, ...config.ServerApp },
        // Notice a killed kernel within half a second.
        KernelRestarter: { time_to_dead: 0.5, ...config.KernelRestarter }
      }
    });
    this.kernelManager = new KernelManager();
    const connectTo = this.kernelManager.connectTo.bind(this.kernelManager);
    this.kernelManager.connectTo = options => {
      const kernel = connectTo(options);
      kernel.anyMessage.connect((_, args) => {
        const recorded: IRecorded = {
          direction: args.direction,
          msg: args.msg
        };
        this.messages.push(recorded);
        for (const waiter of this._waiters.filter(w => w.match(recorded))) {
          this._waiters.splice(this._waiters.indexOf(waiter), 1);
          waiter.resolve(recorded);
        }
      });
      return kernel;
    };
    this.specsManager = new KernelSpecManager();
    this.sessionManager = new SessionManager({
      kernelManager: this.kernelManager
    });
    await Promise.all([
      this.kernelManager.ready,
      this.specsManager.ready,
      this.sessionManager.ready
    ]);
  }

  /** Resolves with the first message recorded from now on for which `match` holds. */
  nextMessage(match: (recorded: IRecorded) => boolean): Promise<IRecorded> {
    return new Promise(resolve => this._waiters.push({ match, resolve }));
  }

  /** A widget's session context (as a notebook has) for a kernel spec. */
  sessionContext(name: string): SessionContext {
    const context = new SessionContext({
      sessionManager: this.sessionManager,
      specsManager: this.specsManager,
      path: `${UUID.uuid4()}.ipynb`,
      kernelPreference: { name, autoStartDefault: false, shouldStart: true }
    });
    this._contexts.push(context);
    return context;
  }

  /** An injector following this server's kernels; `shutdown()` disposes of it first. */
  injector(): KernelInjector {
    const injector = new KernelInjector({
      kernelManager: this.kernelManager,
      kernelSpecManager: this.specsManager
    });
    this._injectors.push(injector);
    return injector;
  }

  /** Dispose of the injectors, shut down every kernel and the server. */
  async shutdown(): Promise<void> {
    try {
      for (const injector of this._injectors) {
        injector.dispose();
      }
      for (const context of this._contexts) {
        await context.shutdown().catch(() => undefined);
        context.dispose();
      }
      await this.kernelManager?.shutdownAll().catch(() => undefined);
      this.kernelManager?.dispose();
      this.sessionManager?.dispose();
      this.specsManager?.dispose();
    } finally {
      await this._server.shutdown();
      this._restore?.();
    }
  }

  private _contexts: SessionContext[] = [];
  private _injectors: KernelInjector[] = [];
  private _waiters: {
    match: (recorded: IRecorded) => boolean;
    resolve: (recorded: IRecorded) => void;
  }[] = [];
  private _restore: (() => void) | null = null;
  private _server = new JupyterServer();
}

/**
 * The first status a kernel connection reports after one of `after`: a delegate resolved
 * inside that status handler, so a message sent from the callback goes out in that tick.
 */
export function onFirstStatusAfter(
  kernel: Kernel.IKernelConnection,
  after: Kernel.Status[],
  callback: (status: Kernel.Status) => void
): Promise<Kernel.Status> {
  const seen = new PromiseDelegate<Kernel.Status>();
  let armed = false;
  const handler = (_: Kernel.IKernelConnection, status: Kernel.Status) => {
    if (after.includes(status)) {
      armed = true;
    } else if (armed) {
      kernel.statusChanged.disconnect(handler);
      callback(status);
      seen.resolve(status);
    }
  };
  kernel.statusChanged.connect(handler);
  return seen.promise;
}

/** Whether R with IRkernel can run here (the reason when not). */
export function irkernelMissing(): string | null {
  const result = spawnSync(
    'R',
    ['--slave', '-e', 'cat(requireNamespace("IRkernel", quietly = TRUE))'],
    { encoding: 'utf8', timeout: 30000 }
  );
  if (result.error) {
    return `R is not installed (${result.error.message})`;
  }
  if (!String(result.stdout).includes('TRUE')) {
    return 'R is installed but the IRkernel package is not';
  }
  return null;
}

/** The IRkernel spec, installed into the test server's own data directory. */
export const IR_SPEC = {
  argv: [
    'R',
    '--slave',
    '-e',
    'IRkernel::main()',
    '--args',
    '{connection_file}'
  ],
  display_name: 'R',
  language: 'R'
};
