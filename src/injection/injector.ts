import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import { Kernel, KernelSpec } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type {
  IKernelInjectionStatus,
  IKernelInjector,
  ILaunchRecords
} from '../tokens';
import { checkVariables } from './checks';
import { IState, ISource, KernelEntry, Link, loadOnce } from './entries';
import { execute } from './exchange';
import { snippetsFor, StdinAnswers } from './languages';
import { RestartWatcher } from './restarts';
import { TRANSLATION_DOMAIN } from '../i18n';

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
 *
 * This class holds the sources and follows the kernels. The records it keeps per kernel and
 * connection are in `entries.ts`, the stdin exchange of one injection in `exchange.ts`, restart
 * detection in `restarts.ts`, the checks of `set` in `checks.ts`, the code per language in
 * `languages.ts`.
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
      TRANSLATION_DOMAIN
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
   * How many kernel connections the injector follows (widgets' and its own), how many kernels
   * it knows of, and how many widgets' session contexts it follows: counts only, for
   * diagnostics and benchmarks.
   */
  get connections(): KernelInjector.IConnections {
    return {
      links: this._links.size,
      kernels: this._entries.size,
      contexts: this._contexts.size
    };
  }

  /**
   * Set (or replace) a source's variables and push them into every running kernel.
   *
   * Rejects, before touching any kernel, when a name is not an identifier or a value cannot be
   * an environment variable's: it holds a NUL character or an unpaired surrogate, or is too long
   * (see `MAX_ASSIGNMENT_BYTES` in `checks.ts`). Setting no variables clears the source.
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
  private async _start(sourceId: string, source: ISource): Promise<void> {
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
      entry = new KernelEntry(kernel.id, kernel.name);
      this._entries.set(kernel.id, entry);
    }
    const link = new Link(kernel, owned);
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
  private _learnLanguage(entry: KernelEntry, link: Link): void {
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

  /**
   * A followed connection's kernel status: a death fails its injections; the rest is the
   * restart watcher's, called in this handler so that it can send ahead of other listeners.
   */
  private _onKernelStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    const link = this._links.get(kernel);
    const entry = this._entries.get(kernel.id);
    if (!link || !entry) {
      return;
    }
    if (status !== 'dead') {
      this._restarts.onStatus(entry, link, status);
      return;
    }
    link.markLost(true);
    entry.held.clear();
    for (const sourceId of this.#sources.keys()) {
      this._setState(entry, sourceId, entry.nextGeneration(sourceId), {
        state: 'failed',
        reason: this._trans.__('The kernel died')
      });
    }
  }

  /**
   * Hand what a followed connection receives to the restart watcher.
   */
  private _onAnyMessage(
    kernel: Kernel.IKernelConnection,
    args: Kernel.IAnyMessageArgs
  ): void {
    if (args.direction !== 'recv') {
      return;
    }
    const link = this._links.get(kernel);
    const entry = this._entries.get(kernel.id);
    if (link && entry) {
      this._restarts.onMessage(entry, link, args.msg);
    }
  }

  /**
   * The kernel's process is new: it holds nothing, and what is in flight is stale.
   */
  private _forgetProcess(entry: KernelEntry): void {
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
   * Inject every source again over the link that saw the restart, as the first request to the
   * new process.
   */
  private _reinject(entry: KernelEntry, link: Link): Promise<unknown> {
    const tasks = Array.from(this.#sources.keys(), sourceId =>
      this._inject(entry, sourceId, link, true)
    );
    return Promise.all(tasks);
  }

  /**
   * The kernel's process is new and our connections may be deaf to it: follow it over a fresh
   * connection of our own, while any source is set.
   */
  private _takeOver(entry: KernelEntry): void {
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
    entry: KernelEntry,
    sourceId: string,
    via?: Link,
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
    entry: KernelEntry,
    link: Link,
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
      const held = await this._launch.held(entry.id);
      if (!entry.isCurrent(sourceId, generation)) {
        return;
      }
      if (held[sourceId] === source.version) {
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
        variables = source.variables ?? (await loadOnce(source));
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
   * Run silent code over a link (see `execute`); once the link is idle, close our own
   * connections that are no longer needed.
   */
  private _execute(
    link: Link,
    code: string,
    answers?: StdinAnswers,
    first = false
  ): Promise<string | null> {
    return execute(link, code, {
      answers,
      first,
      trans: this._trans,
      idle: idle => {
        if (idle.owned) {
          this._releaseOwnLinks();
        }
      }
    });
  }

  private _setState(
    entry: KernelEntry,
    sourceId: string,
    generation: number,
    state: IState
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
  private _restarts = new RestartWatcher({
    injector: {
      follows: link => this._links.get(link.kernel) === link,
      forgetProcess: entry => this._forgetProcess(entry),
      reinject: (entry, link) => this._reinject(entry, link),
      takeOver: entry => this._takeOver(entry)
    }
  });
  private _contexts = new Set<ISessionContext>();
  private _entries = new Map<string, KernelEntry>();
  private _isDisposed = false;
  private _kernelManager: Kernel.IManager;
  private _kernelSpecManager: KernelSpec.IManager | null;
  private _links = new Map<Kernel.IKernelConnection, Link>();
  /**
   * The secrets: in memory only, never logged, never in a status; a true private field (see
   * `PortalTokenModel.#secret`).
   */
  #sources = new Map<string, ISource>();
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

  /**
   * Counts of what an injector follows (see `KernelInjector.connections`).
   */
  export interface IConnections {
    /** Kernel connections followed: widgets' and the injector's own. */
    readonly links: number;
    /** Kernels known, whatever connections reach them. */
    readonly kernels: number;
    /** Widgets' session contexts followed. */
    readonly contexts: number;
  }
}
