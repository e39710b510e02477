import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import { Kernel, KernelMessage, KernelSpec } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type {
  IKernelInjectionStatus,
  IKernelInjector,
  ILaunchRecords
} from '../tokens';
import { checkVariables } from './checks';
import { snippetsFor, StdinAnswers } from './languages';

/**
 * Puts environment variables into every kernel, their values carried by `input_reply` messages.
 *
 * Kernels are reached two ways: widgets' own kernel connections (through `addSessionContext`),
 * which matter because a message sent on them is queued ahead of anything the user sends next;
 * and, while any source is set, a connection of our own to every other running kernel.
 *
 * Ordering: a kernel connection queues messages until its websocket is up and the kernel has
 * answered `kernel_info`, then sends them in order, and a kernel handles shell messages in order.
 * So the injection is sent synchronously when a widget's kernel changes (ahead of its first cell),
 * and, on `restarting`/`autorestarting`, in a microtask: after the connection has cleared its
 * state (which drops anything sent inside the status handler) and before the restart resolves.
 */
export class KernelInjector implements IKernelInjector, IDisposable {
  /**
   * Construct a kernel injector.
   */
  constructor(options: KernelInjector.IOptions) {
    this._kernelManager = options.kernelManager;
    this._kernelSpecManager = options.kernelSpecManager ?? null;
    this._launch = options.launch ?? null;
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_portal_token'
    );
    this._kernelManager.runningChanged.connect(this._onRunningChanged, this);
  }

  /**
   * Emitted when any kernel's status for any source changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether the injector is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Set (or replace) a source's variables and push them into every running kernel.
   *
   * Rejects, before touching any kernel, when a name is not an identifier or a value cannot be
   * an environment variable's: it holds a NUL character or an unpaired surrogate, or is too long
   * (see `Private.MAX_ASSIGNMENT_BYTES`). Setting no variables clears the source.
   */
  async set(
    sourceId: string,
    variables: Record<string, string>,
    options: IKernelInjector.ISetOptions = {}
  ): Promise<void> {
    if (this._isDisposed) {
      throw new Error('The kernel injector is disposed');
    }
    this.check(variables);
    const names = Object.keys(variables);
    if (names.length === 0) {
      return this.clear(sourceId);
    }
    return this._start(sourceId, {
      variables: { ...variables },
      names,
      version: options.version ?? null,
      load: null,
      checked: new WeakSet()
    });
  }

  /**
   * Follow a source whose values the Jupyter server keeps: kernels holding its version count
   * as injected; the values are loaded only for a kernel that lacks them.
   */
  async adopt(
    sourceId: string,
    source: IKernelInjector.IAdoptOptions
  ): Promise<void> {
    if (this._isDisposed) {
      throw new Error('The kernel injector is disposed');
    }
    const current = this.#sources.get(sourceId);
    if (current?.version === source.version) {
      return;
    }
    return this._start(sourceId, {
      variables: null,
      names: [...source.names],
      version: source.version,
      load: source.load,
      checked: new WeakSet()
    });
  }

  /**
   * Throw the error `set` would throw for these variables, touching no kernel.
   */
  check(variables: Record<string, string>): void {
    checkVariables(variables, this._trans);
  }

  /**
   * Take a source's new values and push them into every kernel.
   */
  private async _start(
    sourceId: string,
    source: Private.ISource
  ): Promise<void> {
    this.#sources.set(sourceId, source);
    for (const entry of this._entries.values()) {
      this._inject(entry, sourceId);
    }
    // Widgetless kernels: those already known now, then any the server knows of.
    this._syncRunning();
    await this._refreshRunning();
    await Promise.all(
      Array.from(this._entries.values(), entry => entry.tasks.get(sourceId))
    );
  }

  /**
   * Remove a source's variables from every kernel that holds them, and stop injecting them.
   */
  async clear(sourceId: string): Promise<void> {
    if (this._isDisposed || !this.#sources.has(sourceId)) {
      return;
    }
    this.#sources.delete(sourceId);
    const scrubs: Promise<unknown>[] = [];
    for (const entry of this._entries.values()) {
      // Whatever is in flight for this source is now stale.
      entry.nextGeneration(sourceId);
      entry.states.delete(sourceId);
      entry.tasks.delete(sourceId);
      const held = entry.held.get(sourceId);
      entry.held.delete(sourceId);
      const last = entry.lastLink.get(sourceId);
      entry.lastLink.delete(sourceId);
      const snippets = snippetsFor(entry.language);
      if (!held || held.size === 0 || !snippets) {
        continue;
      }
      // The link an injection went over: the removal then follows it in the same queue.
      const link =
        last && this._links.get(last.kernel) === last ? last : entry.driver();
      if (link) {
        scrubs.push(this._execute(link, snippets.unset(Array.from(held))));
      }
    }
    this._changed.emit();
    await Promise.all(scrubs);
    this._releaseOwnLinks();
  }

  /**
   * Per-kernel status of a source's variables. Never holds a value.
   */
  status(sourceId: string): IKernelInjectionStatus[] {
    const result: IKernelInjectionStatus[] = [];
    for (const entry of this._entries.values()) {
      const state = entry.states.get(sourceId);
      if (state) {
        result.push({
          kernelId: entry.id,
          kernelName: entry.name,
          language: entry.language,
          state: state.state,
          ...(state.reason === undefined ? {} : { reason: state.reason })
        });
      }
    }
    return result;
  }

  /**
   * Follow a widget's session context, so its kernel gets the variables before its first
   * user message, also after kernel changes and restarts.
   */
  addSessionContext(context: ISessionContext): void {
    if (this._isDisposed || this._contexts.has(context)) {
      return;
    }
    this._contexts.add(context);
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.disposed.connect(this._onContextDisposed, this);
    const kernel = context.session?.kernel;
    if (kernel) {
      this._follow(kernel, false);
    }
  }

  /**
   * Dispose of the injector: forget the values, close its own kernel connections.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    const links = Array.from(this._links.values());
    this._links.clear();
    this._entries.clear();
    this.#sources.clear();
    this._contexts.clear();
    Signal.clearData(this);
    for (const link of links) {
      link.markLost(true);
      if (link.owned) {
        link.kernel.dispose();
      }
    }
  }

  /**
   * A widget's kernel changed: follow the new connection right now, in this tick.
   */
  private _onKernelChanged(
    context: ISessionContext,
    args: IChangedArgs<
      Kernel.IKernelConnection | null,
      Kernel.IKernelConnection | null,
      'kernel'
    >
  ): void {
    const kernel = args.newValue;
    if (kernel && !this._links.has(kernel)) {
      this._follow(kernel, false);
    }
  }

  private _onContextDisposed(context: ISessionContext): void {
    this._contexts.delete(context);
    context.kernelChanged.disconnect(this._onKernelChanged, this);
    context.disposed.disconnect(this._onContextDisposed, this);
  }

  private _onRunningChanged(): void {
    this._syncRunning();
  }

  /**
   * Start following a kernel connection and inject every set source into it.
   */
  private _follow(kernel: Kernel.IKernelConnection, owned: boolean): void {
    if (kernel.isDisposed || this._links.has(kernel)) {
      return;
    }
    let entry = this._entries.get(kernel.id);
    if (!entry) {
      entry = new Private.KernelEntry(kernel.id, kernel.name);
      this._entries.set(kernel.id, entry);
    }
    const link = new Private.Link(kernel, owned);
    this._links.set(kernel, link);
    entry.links.add(link);
    kernel.statusChanged.connect(this._onKernelStatus, this);
    kernel.connectionStatusChanged.connect(this._onConnectionStatus, this);
    kernel.anyMessage.connect(this._onAnyMessage, this);
    kernel.disposed.connect(this._onKernelDisposed, this);
    this._learnLanguage(entry, link);
    for (const sourceId of this.#sources.keys()) {
      // Another connection may already have done it; a widget's first cell is then safe too.
      const state = entry.states.get(sourceId)?.state;
      if (owned || (state !== 'injected' && state !== 'unsupported')) {
        this._inject(entry, sourceId, link);
      }
    }
    if (!owned) {
      this._releaseOwnLinks();
    }
  }

  /**
   * Take the language from the cached kernel specs now, and from the kernel when it answers.
   */
  private _learnLanguage(entry: Private.KernelEntry, link: Private.Link): void {
    if (!entry.language) {
      const spec = this._kernelSpecManager?.specs?.kernelspecs[entry.name];
      if (spec?.language) {
        entry.setLanguage(spec.language);
      }
    }
    if (entry.languageConfirmed || entry.askingLanguage) {
      return;
    }
    entry.askingLanguage = true;
    Promise.race([link.kernel.info, link.lost])
      .then(info => {
        entry.askingLanguage = false;
        const language = info?.language_info?.name;
        if (!info || this._isDisposed) {
          return;
        }
        entry.languageConfirmed = true;
        if (!language || language === entry.language) {
          // Those waiting for a language learn that there is none.
          entry.setLanguage(entry.language);
          return;
        }
        const before = entry.language;
        entry.setLanguage(language);
        this._changed.emit();
        if (before && snippetsFor(before) !== snippetsFor(language)) {
          // The spec misled us: the code sent was for another language. Send the right one.
          for (const sourceId of this.#sources.keys()) {
            this._inject(entry, sourceId);
          }
        }
      })
      .catch(() => {
        entry.askingLanguage = false;
      });
  }

  private _onKernelStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    const link = this._links.get(kernel);
    const entry = this._entries.get(kernel.id);
    if (!link || !entry) {
      return;
    }
    switch (status) {
      case 'restarting':
      case 'autorestarting': {
        this._forgetProcess(entry);
        link.restarting = true;
        if (link.restartScheduled) {
          return;
        }
        link.restartScheduled = true;
        // Not now: right after this handler the connection clears its state, dropping what
        // was sent. A microtask runs after that, while messages are still being queued.
        void Promise.resolve().then(() => {
          if (link.restartScheduled) {
            this._reinject(entry, link);
          }
        });
        return;
      }
      case 'dead': {
        link.markLost(true);
        entry.held.clear();
        for (const sourceId of this.#sources.keys()) {
          this._setState(entry, sourceId, entry.nextGeneration(sourceId), {
            state: 'failed',
            reason: this._trans.__('The kernel died')
          });
        }
        return;
      }
      default:
        if (link.restartScheduled) {
          // A status emitted before our microtask (on autorestart the connection goes
          // `unknown` right after clearing its state): send now, ahead of its other listeners.
          this._reinject(entry, link);
        } else if (status === 'starting') {
          // A new process the connection was not seen restarting (if we catch its first words).
          this._onNewProcess(entry, link, true);
        }
        return;
    }
  }

  /**
   * Notice restarts made by clients we do not follow. ipykernel broadcasts its
   * `shutdown_reply` (with `restart: true`) on IOPub and signs its messages with a session id
   * of its own: a message from another session after it comes from the new process.
   *
   * The new process's first messages may be gone before the server's IOPub socket for this
   * connection has reconnected to it, so ask it `kernel_info` until it answers.
   */
  private _onAnyMessage(
    kernel: Kernel.IKernelConnection,
    args: Kernel.IAnyMessageArgs
  ): void {
    const { msg, direction } = args;
    if (direction !== 'recv') {
      return;
    }
    const link = this._links.get(kernel);
    const entry = this._entries.get(kernel.id);
    if (!link || !entry) {
      return;
    }
    if (
      msg.channel === 'iopub' &&
      msg.header.msg_type === 'shutdown_reply' &&
      (msg.content as { restart?: boolean }).restart === true
    ) {
      if (!link.restarting && !link.restartScheduled) {
        this._askForNewProcess(link, msg.header.session);
      }
    } else if (
      link.oldProcess !== null &&
      msg.header.session !== link.oldProcess
    ) {
      link.stopAsking();
      this._onNewProcess(entry, link, false);
    }
  }

  /**
   * Send `kernel_info` requests until a new process answers (or a while has passed).
   */
  private _askForNewProcess(link: Private.Link, oldProcess: string): void {
    link.stopAsking();
    link.oldProcess = oldProcess;
    let asked = 0;
    link.asking = setInterval(() => {
      if (
        link.oldProcess === null ||
        this._links.get(link.kernel) !== link ||
        asked++ >= Private.NEW_PROCESS_ASKS
      ) {
        link.stopAsking();
        return;
      }
      link.kernel.requestKernelInfo().catch(() => undefined);
    }, Private.NEW_PROCESS_INTERVAL_MS);
  }

  /**
   * The kernel runs a new process that no `restarting` status announced on this link: it said
   * `starting` (`announced`), or ipykernel's shutdown-and-new-session told us.
   */
  private _onNewProcess(
    entry: Private.KernelEntry,
    link: Private.Link,
    announced: boolean
  ): void {
    const links = Array.from(entry.links);
    if (links.some(other => other.restarting || other.restartScheduled)) {
      // A connection we follow restarted it, and re-injects over itself.
      return;
    }
    if (
      announced &&
      link.owned &&
      Date.now() - link.created < Private.FRESH_LINK_MS
    ) {
      // A connection made for this process as it started: its injection is on its way.
      return;
    }
    this._forgetProcess(entry);
    // Over a fresh connection of our own: the server's sockets behind the connections that saw
    // the restart happen may not have reconnected to the new process (IOPub, stdin).
    for (const own of links.filter(other => other.owned)) {
      own.kernel.dispose();
    }
    if (this._isDisposed || this.#sources.size === 0) {
      return;
    }
    let kernel: Kernel.IKernelConnection;
    try {
      kernel = this._kernelManager.connectTo({
        model: { id: entry.id, name: entry.name },
        handleComms: false
      });
    } catch {
      return;
    }
    this._follow(kernel, true);
  }

  /**
   * The kernel's process is new: it holds nothing, and what is in flight is stale.
   */
  private _forgetProcess(entry: Private.KernelEntry): void {
    entry.held.clear();
    for (const [sourceId, source] of this.#sources) {
      // The new process got what the server holds at its launch: ask again.
      source.checked.delete(entry);
      this._setState(entry, sourceId, entry.nextGeneration(sourceId), {
        state: 'pending'
      });
    }
  }

  /**
   * Inject every source again over the link that saw the restart (once per restart).
   */
  private _reinject(entry: Private.KernelEntry, link: Private.Link): void {
    link.restartScheduled = false;
    if (this._links.get(link.kernel) !== link) {
      return;
    }
    const tasks = Array.from(this.#sources.keys(), sourceId =>
      this._inject(entry, sourceId, link, true)
    );
    void Promise.all(tasks).then(() => {
      link.restarting = link.restartScheduled;
    });
  }

  private _onConnectionStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.ConnectionStatus
  ): void {
    if (status === 'disconnected') {
      this._links.get(kernel)?.markLost(false);
    }
  }

  private _onKernelDisposed(kernel: Kernel.IKernelConnection): void {
    const link = this._links.get(kernel);
    if (!link) {
      return;
    }
    this._links.delete(kernel);
    link.markLost(true);
    const entry = this._entries.get(kernel.id);
    if (!entry) {
      return;
    }
    entry.links.delete(link);
    if (entry.links.size > 0) {
      return;
    }
    if (this.#sources.size === 0) {
      this._entries.delete(entry.id);
      this._changed.emit();
      return;
    }
    // Nobody watches this kernel any more. If it still runs (its widget was closed without
    // shutting it down), take it over; if it is gone, forget it.
    void this._refreshRunning();
  }

  /**
   * Ask the server for its kernels, then follow them.
   */
  private async _refreshRunning(): Promise<void> {
    try {
      await this._kernelManager.refreshRunning();
    } catch {
      // Keep the kernels we know of.
    }
    this._syncRunning();
  }

  /**
   * Forget kernels that are gone; while any source is set, connect to kernels nobody follows.
   */
  private _syncRunning(): void {
    if (this._isDisposed) {
      return;
    }
    const models = new Map<string, Kernel.IModel>();
    for (const model of this._kernelManager.running()) {
      models.set(model.id, model);
    }
    let removed = false;
    for (const entry of Array.from(this._entries.values())) {
      if (entry.links.size === 0 && !models.has(entry.id)) {
        this._entries.delete(entry.id);
        removed = true;
      }
    }
    if (removed) {
      this._changed.emit();
    }
    if (this.#sources.size === 0) {
      return;
    }
    for (const model of models.values()) {
      const entry = this._entries.get(model.id);
      if ((entry && entry.links.size > 0) || model.execution_state === 'dead') {
        continue;
      }
      let kernel: Kernel.IKernelConnection;
      try {
        kernel = this._kernelManager.connectTo({ model, handleComms: false });
      } catch {
        continue;
      }
      this._follow(kernel, true);
    }
  }

  /**
   * Close our own connections that are no longer needed and not busy: a widget follows the
   * kernel now, or no source is set.
   */
  private _releaseOwnLinks(): void {
    for (const entry of this._entries.values()) {
      const own = Array.from(entry.links).find(link => link.owned);
      if (
        own &&
        own.inFlight === 0 &&
        (this.#sources.size === 0 || entry.links.size > 1)
      ) {
        own.kernel.dispose();
      }
    }
  }

  /**
   * Send a source's variables to a kernel, over the given link or the kernel's best one.
   * Records the task, so `set` can wait for it; the task never rejects.
   */
  private _inject(
    entry: Private.KernelEntry,
    sourceId: string,
    via?: Private.Link,
    first = false
  ): Promise<void> {
    const link = via ?? entry.driver();
    if (!link) {
      // Nothing to send over yet; the kernel is injected when it is connected to.
      return Promise.resolve();
    }
    const generation = entry.nextGeneration(sourceId);
    const task = this._send(entry, link, sourceId, generation, first).catch(
      () => {
        if (entry.isCurrent(sourceId, generation)) {
          this._setState(entry, sourceId, generation, {
            state: 'failed',
            reason: this._trans.__('The connection to the kernel was lost')
          });
        }
      }
    );
    entry.tasks.set(sourceId, task);
    return task;
  }

  /**
   * The injection itself. Until its first `await` this runs synchronously, so the request is
   * queued on the connection before the caller returns.
   */
  private async _send(
    entry: Private.KernelEntry,
    link: Private.Link,
    sourceId: string,
    generation: number,
    first: boolean
  ): Promise<void> {
    const source = this.#sources.get(sourceId);
    if (!source) {
      return;
    }
    if (source.version !== null && this._launch && !source.checked.has(entry)) {
      // The server may have put these values into this process at launch: then nothing to
      // send. (This waits for an answer, so a stdin injection after it is no longer queued
      // ahead of a cell; only kernels that ran before the values came need one.)
      this._setState(entry, sourceId, generation, { state: 'pending' });
      const held = await this._launch.held();
      if (!entry.isCurrent(sourceId, generation)) {
        return;
      }
      if (held[entry.id]?.[sourceId] === source.version) {
        entry.held.set(sourceId, new Set(source.names));
        this._setState(entry, sourceId, generation, { state: 'injected' });
        return;
      }
      source.checked.add(entry);
      return this._send(entry, link, sourceId, generation, first);
    }
    if (!entry.language) {
      // No cached kernel spec: only the kernel can tell its language.
      this._setState(entry, sourceId, generation, { state: 'pending' });
      const known = await Promise.race([
        entry.languageKnown.then(() => true),
        link.lost.then(() => false)
      ]);
      if (!entry.isCurrent(sourceId, generation)) {
        return;
      }
      if (!known) {
        this._setState(entry, sourceId, generation, {
          state: 'failed',
          reason: this._trans.__('The connection to the kernel was lost')
        });
        return;
      }
      if (!entry.language) {
        this._setState(entry, sourceId, generation, {
          state: 'failed',
          reason: this._trans.__(
            'The kernel did not tell its language; the token was not injected'
          )
        });
        return;
      }
      return this._send(entry, link, sourceId, generation, first);
    }
    const snippets = snippetsFor(entry.language);
    if (!snippets) {
      this._setState(entry, sourceId, generation, {
        state: 'unsupported',
        reason: this._trans.__(
          'No snippet for language %1; the token was not injected',
          entry.language
        )
      });
      return;
    }
    let variables = source.variables;
    if (!variables && source.load) {
      this._setState(entry, sourceId, generation, { state: 'pending' });
      try {
        variables = source.variables ?? (await Private.loadOnce(source));
      } catch {
        variables = null;
      }
      if (!entry.isCurrent(sourceId, generation)) {
        return;
      }
    }
    if (!variables) {
      this._setState(entry, sourceId, generation, {
        state: 'failed',
        reason: this._trans.__(
          'The Jupyter server no longer has the token; it was not injected'
        )
      });
      return;
    }
    const names = Object.keys(variables);
    const stale = Array.from(entry.held.get(sourceId) ?? []).filter(
      name => !(name in variables)
    );
    // Only to tie answers to this request: it guards nothing, so it need not be secret.
    const nonce = UUID.uuid4().replace(/-/g, '');
    const code = [
      ...(stale.length > 0 ? [snippets.unset(stale)] : []),
      snippets.set(names, nonce)
    ].join('\n');
    entry.held.set(sourceId, new Set(names));
    entry.lastLink.set(sourceId, link);
    this._setState(entry, sourceId, generation, { state: 'pending' });
    const failure = await this._execute(
      link,
      code,
      new StdinAnswers({ values: variables, nonce }),
      first
    );
    if (!entry.isCurrent(sourceId, generation)) {
      return;
    }
    if (failure === null && source.version !== null && this._launch) {
      // So that a page loaded later knows this kernel holds them.
      this._launch
        .report(entry.id, sourceId, source.version)
        .catch(() => undefined);
    }
    this._setState(
      entry,
      sourceId,
      generation,
      failure === null
        ? { state: 'injected' }
        : { state: 'failed', reason: failure }
    );
  }

  /**
   * Run silent code and answer its input requests. Resolves with `null` on success or the
   * reason of the failure (which never quotes the kernel's error text: it could hold a value).
   *
   * An input request can get lost: right after a restart, the server may reuse a stdin channel
   * that has not reconnected to the new process yet, and the kernel would wait forever. So,
   * once the kernel runs this request and has asked nothing for a while, answer unasked; the
   * code then drains any answer that comes after the one it took (see `languages.ts`).
   *
   * "Runs this request": seen on IOPub (`busy`), or, for the `first` request to a restarted
   * process (nothing of the user's can be ahead of it to read that answer), from the start,
   * since that `busy` may be lost the same way. One answer unasked at most: see
   * `StdinAnswers.unasked`.
   */
  private async _execute(
    link: Private.Link,
    code: string,
    answers?: StdinAnswers,
    first = false
  ): Promise<string | null> {
    const kernel = link.kernel;
    if (kernel.isDisposed || kernel.status === 'dead') {
      return this._trans.__('The kernel is not running');
    }
    let future: Kernel.IShellFuture<
      KernelMessage.IExecuteRequestMsg,
      KernelMessage.IExecuteReplyMsg
    >;
    try {
      future = kernel.requestExecute(
        {
          code,
          silent: true,
          store_history: false,
          allow_stdin: answers !== undefined,
          stop_on_error: false
        },
        true
      );
    } catch {
      return this._trans.__('The kernel is not running');
    }
    let timer: ReturnType<typeof setInterval> | undefined;
    if (answers) {
      let lastHeard = 0;
      // Unasked answers have no input request to answer: they name the request instead.
      let parent: KernelMessage.IHeader = future.msg.header;
      const reply = (value: string) => {
        try {
          kernel.sendInputReply(
            { status: 'ok', value },
            parent as KernelMessage.IHeader<'input_request'>
          );
        } catch {
          // The kernel died meanwhile; the reply below says so.
        }
      };
      future.onStdin = msg => {
        if (!KernelMessage.isInputRequestMsg(msg)) {
          return;
        }
        lastHeard = Date.now();
        parent = msg.header;
        reply(answers.answer(String(msg.content.prompt)));
      };
      const listen = () => {
        lastHeard = Date.now();
        timer ??= setInterval(() => {
          if (
            answers.complete ||
            Date.now() - lastHeard < Private.STDIN_SILENCE_MS
          ) {
            return;
          }
          const unasked = answers.unasked();
          if (unasked === null) {
            clearInterval(timer);
          } else {
            reply(unasked);
          }
        }, Private.STDIN_SILENCE_MS / 2);
      };
      future.onIOPub = msg => {
        // Our code runs now (not a user cell queued before it): listen for silence.
        if (
          timer === undefined &&
          KernelMessage.isStatusMsg(msg) &&
          msg.content.execution_state === 'busy'
        ) {
          listen();
        }
      };
      if (first) {
        listen();
      }
    }
    // The shell reply is enough: after a restart by another client, the server's IOPub socket
    // for a connection may stay deaf to the new process, and `done` waits for an IOPub `idle`.
    const replied = new Promise<KernelMessage.IExecuteReplyMsg>(
      (resolve, reject) => {
        future.onReply = resolve;
        future.done.then(resolve, reject);
      }
    );
    // When the connection is lost first, `done` still rejects later ("Kernel connection
    // disconnected"); the race below has moved on, so that rejection must not go unhandled.
    replied.catch(() => undefined);
    link.inFlight += 1;
    try {
      const reply = await Promise.race([replied, link.lost]);
      if (!reply) {
        return this._trans.__('The connection to the kernel was lost');
      }
      const content = reply.content;
      switch (content.status) {
        case 'ok':
          return null;
        case 'error':
          return this._trans.__(
            'The kernel answered with an error (%1); the token was not injected',
            content.ename
          );
        default:
          return this._trans.__(
            'The kernel aborted the request; the token was not injected'
          );
      }
    } catch {
      return this._trans.__('The kernel died or restarted before answering');
    } finally {
      clearInterval(timer);
      if (!future.isDisposed) {
        future.dispose();
      }
      link.inFlight -= 1;
      if (link.inFlight === 0 && link.owned) {
        this._releaseOwnLinks();
      }
    }
  }

  private _setState(
    entry: Private.KernelEntry,
    sourceId: string,
    generation: number,
    state: Private.IState
  ): void {
    if (
      this._isDisposed ||
      !this.#sources.has(sourceId) ||
      !entry.isCurrent(sourceId, generation) ||
      this._entries.get(entry.id) !== entry
    ) {
      return;
    }
    const old = entry.states.get(sourceId);
    if (old && old.state === state.state && old.reason === state.reason) {
      return;
    }
    entry.states.set(sourceId, state);
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _contexts = new Set<ISessionContext>();
  private _entries = new Map<string, Private.KernelEntry>();
  private _isDisposed = false;
  private _kernelManager: Kernel.IManager;
  private _kernelSpecManager: KernelSpec.IManager | null;
  private _links = new Map<Kernel.IKernelConnection, Private.Link>();
  /**
   * The secrets: in memory only, never logged, never in a status; a true private field (see
   * `PortalTokenModel.#secret`).
   */
  #sources = new Map<string, Private.ISource>();
  private _launch: ILaunchRecords | null;
  private _trans: TranslationBundle;
}

/**
 * The KernelInjector namespace.
 */
export namespace KernelInjector {
  /**
   * Options of a KernelInjector.
   */
  export interface IOptions {
    /** Where running kernels are listed and connected to. */
    kernelManager: Kernel.IManager;
    /** Kernel specs, whose cached languages let the first injection go out at once. */
    kernelSpecManager?: KernelSpec.IManager;
    /** For the reasons shown in statuses. */
    translator?: ITranslator;
    /**
     * What the Jupyter server put into its kernels at launch; without it every kernel gets
     * the values over stdin.
     */
    launch?: ILaunchRecords | null;
  }
}

/**
 * Module internals.
 */
namespace Private {
  /**
   * One source's values: in the page (`variables`), or kept by the Jupyter server (`load`).
   */
  export interface ISource {
    variables: Record<string, string> | null;
    names: string[];
    /** The server's version of the values, or `null` when it does not keep them. */
    version: string | null;
    load: (() => Promise<Record<string, string>>) | null;
    /** Kernels whose launch record was read already (a restart reads it again). */
    checked: WeakSet<KernelEntry>;
    /** The values once loaded (one request however many kernels need them). */
    loading?: Promise<Record<string, string>>;
  }

  /** Load a kept source's values once. */
  export function loadOnce(source: ISource): Promise<Record<string, string>> {
    source.loading ??= source.load!().then(
      values => {
        source.variables = values;
        return values;
      },
      error => {
        source.loading = undefined;
        throw error;
      }
    );
    return source.loading;
  }

  /** How long a new connection of ours takes a kernel's `starting` for its own start. */
  export const FRESH_LINK_MS = 3000;

  /** How often, and how many times, to ask a restarting kernel whether it runs again. */
  export const NEW_PROCESS_INTERVAL_MS = 500;
  export const NEW_PROCESS_ASKS = 60;

  /** How long a kernel running our code may ask nothing before we answer unasked. */
  export const STDIN_SILENCE_MS = 500;

  /** A state without its kernel's identity. */
  export interface IState {
    state: IKernelInjectionStatus['state'];
    reason?: string;
  }

  /**
   * One kernel connection the injector follows.
   */
  export class Link {
    constructor(
      readonly kernel: Kernel.IKernelConnection,
      readonly owned: boolean
    ) {}

    /** Requests sent over this link and not answered yet. */
    inFlight = 0;

    /** A re-injection after a restart is scheduled. */
    restartScheduled = false;

    /** When the connection was made. */
    readonly created = Date.now();

    /** A restart was seen and its re-injection has not been answered yet. */
    restarting = false;

    /** The session of a kernel process that said it is restarting, until another speaks. */
    oldProcess: string | null = null;

    /** The timer asking the kernel for `kernel_info` until a new process answers. */
    asking: ReturnType<typeof setInterval> | undefined = undefined;

    /** Stop waiting for a new process. */
    stopAsking(): void {
      clearInterval(this.asking);
      this.asking = undefined;
      this.oldProcess = null;
    }

    /**
     * Resolves when the connection is disposed or dead (for good), or next disconnected (it
     * may come back: later callers then wait for the next loss).
     */
    get lost(): Promise<undefined> {
      if (this._gone) {
        return Promise.resolve(undefined);
      }
      if (!this._lost) {
        this._lost = new PromiseDelegate<undefined>();
      }
      return this._lost.promise;
    }

    /** The connection is gone (`final`) or disconnected. */
    markLost(final: boolean): void {
      this._gone = this._gone || final;
      if (final) {
        this.stopAsking();
      }
      this._lost?.resolve(undefined);
      this._lost = null;
    }

    private _gone = false;
    private _lost: PromiseDelegate<undefined> | null = null;
  }

  /**
   * What the injector knows of one kernel (by id), whatever connections reach it.
   */
  export class KernelEntry {
    constructor(
      readonly id: string,
      readonly name: string
    ) {}

    /** Connections to this kernel: widgets' and at most one of our own. */
    readonly links = new Set<Link>();
    /** Per source: the latest state. */
    readonly states = new Map<string, IState>();
    /** Per source: the latest injection, for `set` to wait on. */
    readonly tasks = new Map<string, Promise<void>>();
    /** Per source: the names the kernel holds (or is being sent). */
    readonly held = new Map<string, Set<string>>();
    /** Per source: the link the latest injection went over. */
    readonly lastLink = new Map<string, Link>();

    /** `language_info.name`, or the spec's language until the kernel answers; may be empty. */
    get language(): string {
      return this._language;
    }

    /** Resolves once a language is known. */
    get languageKnown(): Promise<void> {
      return this._languageKnown.promise;
    }

    /** The kernel itself said its language. */
    languageConfirmed = false;
    /** A `kernel.info` answer is awaited. */
    askingLanguage = false;

    setLanguage(language: string): void {
      this._language = language;
      this._languageKnown.resolve();
    }

    /** The connection to send over: a widget's when there is one (its user's order matters). */
    driver(): Link | undefined {
      let own: Link | undefined;
      for (const link of this.links) {
        if (!link.owned) {
          return link;
        }
        own = link;
      }
      return own;
    }

    /** Start a new attempt for a source; older attempts' results are then ignored. */
    nextGeneration(sourceId: string): number {
      const generation = (this._generations.get(sourceId) ?? 0) + 1;
      this._generations.set(sourceId, generation);
      return generation;
    }

    isCurrent(sourceId: string, generation: number): boolean {
      return this._generations.get(sourceId) === generation;
    }

    private _generations = new Map<string, number>();
    private _language = '';
    private _languageKnown = new PromiseDelegate<void>();
  }
}
