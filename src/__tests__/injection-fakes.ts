/**
 * Recording fakes for message-level tests of the kernel injector: a kernel connection that
 * records what is sent and answers like a kernel (input requests, then a reply), a kernel
 * manager, a kernel spec manager and a session context.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import { Buffer } from 'buffer';
import { Kernel, KernelMessage, KernelSpec } from '@jupyterlab/services';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

/** The languages of the fake kernel specs. */
export const SPEC_LANGUAGES: Record<string, string> = {
  python3: 'python',
  ir: 'R',
  'julia-1.10': 'julia',
  echo: 'echo'
};

/** What `language_info.name` each fake kernel reports. */
const INFO_LANGUAGES: Record<string, string> = {
  python3: 'python',
  ir: 'R',
  'julia-1.10': 'julia',
  echo: 'echo',
  nospec: 'python'
};

/**
 * One execute request as the fake kernel received it.
 */
export class FakeRequest {
  constructor(
    readonly kernel: FakeKernel,
    readonly msg: KernelMessage.IExecuteRequestMsg
  ) {}

  /** The code sent. */
  get code(): string {
    return this.msg.content.code;
  }

  /** Values the client answered to this request's input requests, in order. */
  readonly answers: string[] = [];

  /** The prompts of this request's input requests, in order. */
  readonly prompts: string[] = [];

  onStdin:
    ((msg: KernelMessage.IStdinMessage) => void | PromiseLike<void>) | null =
    null;

  onIOPub:
    ((msg: KernelMessage.IIOPubMessage) => void | PromiseLike<void>) | null =
    null;

  /** The kernel starts running the request (`status: busy` on IOPub). */
  busy(): void {
    const msg = KernelMessage.createMessage({
      msgType: 'status',
      channel: 'iopub',
      session: 'kernel',
      content: { execution_state: 'busy' }
    });
    msg.parent_header = this.msg.header;
    void this.onIOPub?.(msg);
  }

  /** Settles with the reply, like a future's `done`. */
  get done(): Promise<KernelMessage.IExecuteReplyMsg> {
    return this._done.promise;
  }

  /** Ask for input the way a kernel does, with a prompt; the client's answer, if any. */
  ask(prompt: string): string | undefined {
    const msg = KernelMessage.createMessage({
      msgType: 'input_request',
      channel: 'stdin',
      session: 'kernel',
      content: { prompt, password: true }
    });
    msg.parent_header = this.msg.header;
    this.kernel.asked.set(msg.header.msg_id, this);
    this.prompts.push(prompt);
    const before = this.answers.length;
    void this.onStdin?.(msg);
    return this.answers.length > before
      ? this.answers[this.answers.length - 1]
      : undefined;
  }

  /**
   * Run the injection code's stdin exchange as the kernel would (see `StdinKernel`), reading
   * each answer right after asking. A prompt the client leaves unanswered would keep a real
   * kernel waiting forever: it throws. Returns the variables the kernel would set.
   */
  runStdinExchange(fixedPrompt?: string): Record<string, string> {
    const kernel = StdinKernel.fromCode(this.code, fixedPrompt);
    while (!kernel.done) {
      const answer = this.ask(kernel.prompt());
      if (answer === undefined) {
        throw new Error('the kernel would wait for an answer forever');
      }
      kernel.read(answer);
    }
    this.received = kernel.values;
    return kernel.values!;
  }

  /** What the kernel set, once the exchange is done. */
  received: Record<string, string> | null = null;

  /** Answer the request. */
  reply(
    content: Partial<KernelMessage.IExecuteReplyMsg['content']> = {
      status: 'ok'
    }
  ): void {
    const msg = KernelMessage.createMessage({
      msgType: 'execute_reply',
      channel: 'shell',
      session: 'kernel',
      content: { execution_count: null, ...content } as any
    }) as KernelMessage.IExecuteReplyMsg;
    msg.parent_header = this.msg.header;
    void this.onReply?.(msg);
    this._done.resolve(msg);
  }

  onReply:
    ((msg: KernelMessage.IExecuteReplyMsg) => void | PromiseLike<void>) | null =
    null;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
  }

  private _isDisposed = false;

  /** Cancel the request, as a connection does to its futures when it is disposed. */
  cancel(): void {
    this._done.reject(new Error('Canceled future'));
  }

  private _done = new PromiseDelegate<KernelMessage.IExecuteReplyMsg>();
}

/**
 * The logic of the injection code's stdin exchange (see `languages.ts`), as each language's
 * snippet has it: ask `<nonce>:*` until answered with a payload of exactly the wanted names in
 * lowercase hex; unless its flag is `F`, ask `<nonce>:` until answered `<nonce>:`; give up after
 * 8 reads (`read` throws).
 */
export class StdinKernel {
  constructor(
    readonly nonce: string,
    readonly wanted: readonly string[],
    /** A prompt of the kernel's own (like IJulia's `readline`), instead of the code's. */
    readonly fixedPrompt?: string
  ) {}

  /** The model of the code sent, its nonce and names taken from the code. */
  static fromCode(code: string, fixedPrompt?: string): StdinKernel {
    const nonce = /[0-9a-f]{32}/.exec(code)?.[0] ?? '';
    // The names are listed on the nonce's line or the one before it, in every language.
    const lines = code.split('\n');
    const at = lines.findIndex(line => line.includes(nonce));
    const setCode = lines.slice(Math.max(0, at - 1), at + 1).join('\n');
    const wanted = [
      ...new Set(
        [...setCode.matchAll(/["']([A-Z_][A-Z0-9_]*)["']/g)].map(m => m[1])
      )
    ];
    return new StdinKernel(nonce, wanted, fixedPrompt);
  }

  /** The values taken, once taken. */
  values: Record<string, string> | null = null;
  /** The exchange is over: the kernel sets `values` and asks no more. */
  done = false;
  /** How many answers were read. */
  reads = 0;

  /** The prompt of the next input request. */
  prompt(): string {
    return this.fixedPrompt ?? `${this.nonce}:${this.values ? '' : '*'}`;
  }

  /** Take one answer. */
  read(answer: string): void {
    if (this.done) {
      throw new Error('the kernel asks no more');
    }
    const prefix = `${this.nonce}:`;
    this.reads += 1;
    if (this.values) {
      this.done = answer === prefix;
    } else if (
      answer.startsWith(prefix) &&
      /^[FD]$/.test(answer.charAt(prefix.length))
    ) {
      this.values = parsePayload(answer.slice(prefix.length + 1), this.wanted);
      this.done = this.values !== null && answer[prefix.length] === 'F';
    }
    if (!this.done && this.reads >= 8) {
      this.values = null;
      throw new Error('no answer from the frontend');
    }
  }
}

/**
 * The values of a payload `NAME=HEX,…` as the kernel's code reads it: `null` unless it holds
 * exactly the `wanted` names, each with the lowercase hex of UTF-8 text without NUL.
 */
export function parsePayload(
  payload: string,
  wanted: readonly string[]
): Record<string, string> | null {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const values: Record<string, string> = {};
  for (const part of payload.split(',')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=((?:[0-9a-f]{2})*)$/.exec(part);
    if (!match || match[1] in values || !wanted.includes(match[1])) {
      return null;
    }
    try {
      values[match[1]] = decoder.decode(Buffer.from(match[2], 'hex'));
    } catch {
      return null;
    }
    if (values[match[1]].includes('\0')) {
      return null;
    }
  }
  return Object.keys(values).length === wanted.length ? values : null;
}

/**
 * A kernel connection that records what is sent to it.
 *
 * With `autoAnswer` (the default) it behaves like a kernel running the injection code: it asks
 * for the variables over stdin, keeps what it is answered, then replies `ok`.
 */
export class FakeKernel {
  constructor(
    model: Kernel.IModel,
    options: { autoAnswer?: boolean; infoLanguage?: string } = {}
  ) {
    this.id = model.id;
    this.name = model.name;
    this.model = model;
    this.autoAnswer = options.autoAnswer ?? true;
    this._infoLanguage =
      options.infoLanguage ?? INFO_LANGUAGES[model.name] ?? 'unknown';
  }

  readonly id: string;
  readonly name: string;
  readonly model: Kernel.IModel;
  readonly clientId = UUID.uuid4();
  autoAnswer: boolean;
  /** A prompt of the kernel's own (like IJulia's `readline`), instead of the code's. */
  fixedPrompt: string | undefined = undefined;
  status: Kernel.Status = 'idle';
  connectionStatus: Kernel.ConnectionStatus = 'connected';
  readonly statusChanged = new Signal<this, Kernel.Status>(this);
  readonly connectionStatusChanged = new Signal<this, Kernel.ConnectionStatus>(
    this
  );
  readonly disposed = new Signal<this, void>(this);
  readonly anyMessage = new Signal<this, Kernel.IAnyMessageArgs>(this);
  /** Everything sent, in order: execute requests and input replies. */
  readonly sent: KernelMessage.IMessage[] = [];
  readonly requests: FakeRequest[] = [];
  /** Input requests asked, by message id. */
  readonly asked = new Map<string, FakeRequest>();

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get info(): Promise<KernelMessage.IInfoReply> {
    return this._info.promise;
  }

  /** Answer `kernel_info` (the fake does not until told to). */
  answerInfo(language = this._infoLanguage): void {
    this._info.resolve({
      status: 'ok',
      protocol_version: '5.3',
      implementation: 'fake',
      implementation_version: '1',
      language_info: { name: language, version: '1' },
      banner: '',
      help_links: []
    } as KernelMessage.IInfoReply);
  }

  requestExecute(
    content: KernelMessage.IExecuteRequestMsg['content'],
    disposeOnDone?: boolean
  ): FakeRequest {
    if (this.status === 'dead' || this._isDisposed) {
      throw new Error('Kernel is dead');
    }
    const msg = KernelMessage.createMessage({
      msgType: 'execute_request',
      channel: 'shell',
      session: this.clientId,
      content
    });
    this.sent.push(msg);
    this.anyMessage.emit({ msg, direction: 'send' });
    const request = new FakeRequest(this, msg);
    this.requests.push(request);
    if (this.autoAnswer) {
      // Like a kernel: answer later, not inside the call.
      void Promise.resolve().then(() => this.answer(request));
    }
    return request;
  }

  /** Behave like a kernel for one request: run the stdin exchange, then reply `ok`. */
  answer(request: FakeRequest): void {
    request.busy();
    if (request.msg.content.allow_stdin) {
      request.runStdinExchange(this.fixedPrompt);
    }
    request.reply();
  }

  sendInputReply(
    content: KernelMessage.IInputReplyMsg['content'],
    parentHeader: KernelMessage.IInputReplyMsg['parent_header']
  ): void {
    const msg = KernelMessage.createMessage({
      msgType: 'input_reply',
      channel: 'stdin',
      session: this.clientId,
      content
    });
    msg.parent_header = parentHeader;
    this.sent.push(msg);
    this.anyMessage.emit({ msg, direction: 'send' });
    const request = this.asked.get(parentHeader.msg_id);
    const value = (content as { value?: string }).value;
    if (request && value !== undefined) {
      request.answers.push(value);
    }
  }

  /** `kernel_info` requests sent. */
  infoRequests = 0;

  async requestKernelInfo(): Promise<undefined> {
    this.infoRequests += 1;
    return undefined;
  }

  /** Receive an IOPub message, as from the kernel or the server. */
  receive(
    msgType: 'status' | 'shutdown_reply',
    content: Record<string, unknown>,
    session: string
  ): void {
    const msg = KernelMessage.createMessage({
      msgType: msgType as 'status',
      channel: 'iopub',
      session,
      content: content as any
    });
    this.anyMessage.emit({ msg, direction: 'recv' });
  }

  setStatus(status: Kernel.Status): void {
    this.status = status;
    this.statusChanged.emit(status);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const request of this.requests) {
      request.cancel();
    }
    this.disposed.emit();
    Signal.clearData(this);
  }

  /** This fake, typed as what the injector takes. */
  get connection(): Kernel.IKernelConnection {
    return this as unknown as Kernel.IKernelConnection;
  }

  private _info = new PromiseDelegate<KernelMessage.IInfoReply>();
  private _infoLanguage: string;
  private _isDisposed = false;
}

/**
 * A kernel manager listing models and handing out fake connections.
 */
export class FakeKernelManager {
  readonly runningChanged = new Signal<this, Kernel.IModel[]>(this);
  /** Connections handed out by `connectTo`. */
  readonly connections: FakeKernel[] = [];
  models: Kernel.IModel[] = [];
  refreshes = 0;

  running(): IterableIterator<Kernel.IModel> {
    return this.models[Symbol.iterator]();
  }

  async refreshRunning(): Promise<void> {
    this.refreshes += 1;
  }

  connectTo(
    options: Omit<Kernel.IKernelConnection.IOptions, 'serverSettings'>
  ): Kernel.IKernelConnection {
    const kernel = new FakeKernel(options.model);
    this.connections.push(kernel);
    return kernel.connection;
  }

  /** A kernel appears (or `models` changed). */
  add(name: string): Kernel.IModel {
    const model = { id: UUID.uuid4(), name };
    this.models = [...this.models, model];
    this.runningChanged.emit(this.models);
    return model;
  }

  remove(id: string): void {
    this.models = this.models.filter(model => model.id !== id);
    for (const kernel of this.connections) {
      if (kernel.id === id) {
        kernel.setStatus('dead');
        kernel.dispose();
      }
    }
    this.runningChanged.emit(this.models);
  }

  get manager(): Kernel.IManager {
    return this as unknown as Kernel.IManager;
  }
}

/**
 * A kernel spec manager whose specs are cached.
 */
export function fakeSpecManager(): KernelSpec.IManager {
  const kernelspecs: Record<string, KernelSpec.ISpecModel> = {};
  for (const [name, language] of Object.entries(SPEC_LANGUAGES)) {
    kernelspecs[name] = {
      name,
      language,
      display_name: name,
      argv: [],
      resources: {}
    };
  }
  return {
    specs: { default: 'python3', kernelspecs }
  } as unknown as KernelSpec.IManager;
}

/**
 * A widget's session context: only what the injector uses of it.
 */
export class FakeSessionContext {
  readonly kernelChanged = new Signal<
    this,
    IChangedArgs<
      Kernel.IKernelConnection | null,
      Kernel.IKernelConnection | null,
      'kernel'
    >
  >(this);
  readonly disposed = new Signal<this, void>(this);
  session: { kernel: Kernel.IKernelConnection | null } | null = null;

  /** Switch to a kernel, as a session context does when its kernel starts or changes. */
  changeKernel(kernel: FakeKernel | null): void {
    const oldValue = this.session?.kernel ?? null;
    this.session = { kernel: kernel?.connection ?? null };
    this.kernelChanged.emit({
      name: 'kernel',
      oldValue,
      newValue: kernel?.connection ?? null
    });
  }

  get context(): ISessionContext {
    return this as unknown as ISessionContext;
  }
}

/** A fresh kernel model. */
export function model(name: string): Kernel.IModel {
  return { id: UUID.uuid4(), name };
}

/** Let every pending promise callback run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
  await new Promise(resolve => setTimeout(resolve, 0));
}
