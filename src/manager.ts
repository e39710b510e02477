import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { readPortals } from './config';
import { PortalTokenModel } from './model';
import type {
  ExpiryNotice,
  IKeptToken,
  IKernelInjector,
  IPortalEntry,
  IPortalItem,
  IPortalRegistry,
  IPortalTokenManager,
  ITokenBroker,
  PortalChange
} from './tokens';

/**
 * The settings the manager follows.
 */
export interface ITokenSettings {
  portals: unknown;
  autoInject: boolean;
  /** Absent: off. */
  autoRenew?: boolean;
  warnBeforeExpiryDays: number;
  autoGenerate: boolean;
  /** Absent: on. */
  injectTerminals?: boolean;
}

/**
 * Owns one token model per configured portal and keeps them in step with the settings.
 */
export class PortalTokenManager implements IPortalTokenManager, IDisposable {
  constructor(options: PortalTokenManager.IOptions) {
    this._registry = options.registry;
    this._injector = options.injector ?? null;
    this._broker = options.broker ?? null;
    this._origin = options.origin;
  }

  /** Emitted when portals are added, removed or reconfigured. */
  get itemsChanged(): ISignal<this, void> {
    return this._itemsChanged;
  }

  /** Emitted when any portal's token changes. */
  get tokenChanged(): ISignal<this, PortalTokenModel> {
    return this._tokenChanged;
  }

  /** Emitted when a live token enters its warning period or expires. */
  get expiryNotice(): ISignal<
    this,
    { model: PortalTokenModel; kind: ExpiryNotice }
  > {
    return this._expiryNotice;
  }

  /** The configured portals, in settings order. */
  get items(): readonly IPortalItem[] {
    return this._items;
  }

  /** The models of the usable portals. */
  get models(): PortalTokenModel[] {
    return this._items
      .map(item => item.model)
      .filter((model): model is PortalTokenModel => model !== null);
  }

  /** Whether the manager has been disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Apply settings. A portal whose configuration did not change keeps its model, so a token
   * (and its secret) survives unrelated edits.
   */
  configure(settings: ITokenSettings): void {
    const entries = readPortals(settings.portals, this._registry, this._origin);
    const previous = new Map(
      this._items
        .filter(item => item.model)
        .map(item => [Private.key(item.entry), item.model!])
    );
    const items: Private.IItem[] = entries.map(entry => {
      if (!entry.config) {
        return { entry, model: null };
      }
      const key = Private.key(entry);
      let model = previous.get(key);
      if (model) {
        previous.delete(key);
      } else {
        model = new PortalTokenModel({
          client: this._registry.create(entry.config),
          injector: this._injector,
          broker: this._broker
        });
        model.changed.connect(this._onModelChanged, this);
        model.expiryNotice.connect(this._onExpiryNotice, this);
        model.portalChanged.connect(this._onPortalChanged, this);
        this._fresh.push(model);
      }
      model.autoInject = settings.autoInject;
      model.injectTerminals = settings.injectTerminals ?? true;
      model.autoRenew = settings.autoRenew ?? false;
      model.warnBeforeExpiryDays = settings.warnBeforeExpiryDays;
      return { entry, model };
    });
    for (const model of previous.values()) {
      model.dispose();
    }
    this._items = items;
    this._autoGenerate = settings.autoGenerate;
    this._itemsChanged.emit();
  }

  /**
   * Apply settings once the clients of their portals' kinds are loaded (a built-in kind's code
   * is fetched the first time a portal of that kind is configured), then check the new portals.
   * Calls are applied in order; never rejects (a kind that fails to load is reported).
   */
  apply(settings: ITokenSettings): Promise<void> {
    this._applying = this._applying.then(async () => {
      if (this._isDisposed) {
        return;
      }
      const kinds = readPortals(settings.portals, this._registry, this._origin)
        .map(entry => entry.config?.kind)
        .filter((kind): kind is string => kind !== undefined);
      try {
        await this._registry.load([...new Set(kinds)]);
      } catch (reason) {
        console.error(
          'jupyterlab-portal-token: a portal client did not load',
          reason
        );
        return;
      }
      if (!this._isDisposed) {
        this.configure(settings);
        // Never wait for a portal here: JupyterLab's start must not depend on it.
        void this.checkNew();
      }
    });
    return this._applying;
  }

  /**
   * Check every new portal (once), generating a token where `autoGenerate` asks for it.
   */
  async checkNew(): Promise<void> {
    const fresh = this._fresh.splice(0);
    await Promise.all(
      fresh.map(async model => {
        await model.refresh();
        if (this._autoGenerate && model.state === 'none') {
          await model.generate();
        }
      })
    );
  }

  /**
   * Ask every idle portal again, e.g. when the window regains focus: the user may have signed
   * in or out, or revoked the token, in the portal's own tab.
   */
  async refreshAll(): Promise<void> {
    // Focus and visibilitychange come together when a tab is shown: ask once.
    if (!this._refreshing) {
      this._refreshing = Promise.all(
        this.models
          .filter(model => model.activity === null)
          .map(model => model.refresh())
      ).then(() => {
        this._refreshing = null;
      });
    }
    return this._refreshing;
  }

  /**
   * Ask the portals of live tokens again, so a token revoked elsewhere (the portal's page,
   * another client, an administrator) leaves the kernels. Portals that cannot list are skipped:
   * asking them costs a request and teaches nothing.
   */
  async refreshLive(): Promise<boolean> {
    const results = await Promise.all(
      this.models
        .filter(
          model =>
            model.state === 'live' &&
            model.activity === null &&
            model.client.capabilities.list
        )
        .map(model => model.refresh())
    );
    return results.every(Boolean);
  }

  /**
   * Keep the page's picture of the portals current: ask every portal when the window regains
   * focus or the tab becomes visible again, and ask the portals of live tokens every `pollMs`
   * (60 s by default) while the tab is visible (a `Poll`: nothing is sent while the tab is
   * hidden; after a failed round it waits longer, up to ten times as long, until one works).
   */
  watch(options: PortalTokenManager.IWatchOptions = {}): IDisposable {
    const win = options.window ?? window;
    const doc = win.document;
    const pollMs = options.pollMs ?? 60000;
    const visible = () => doc.visibilityState !== 'hidden';
    const onFocus = () => void this.refreshAll();
    const onVisibility = () => {
      if (visible()) {
        void this.refreshAll();
      }
    };
    win.addEventListener('focus', onFocus);
    doc.addEventListener('visibilitychange', onVisibility);
    const poll = new Poll({
      auto: false,
      factory: async () => {
        if (!(await this.refreshLive())) {
          // A portal did not answer: the poll backs off.
          throw new Error('a portal could not be asked');
        }
      },
      frequency: { interval: pollMs, backoff: true, max: 10 * pollMs },
      // This window's own visibility (not only the global document's), checked at each tick.
      standby: () => (visible() ? 'never' : true),
      name: 'jupyterlab-portal-token:live-tokens'
    });
    // The first round after a full interval (start() would run one at once).
    void poll.schedule({ interval: pollMs, phase: 'started' });
    const watcher = new DisposableDelegate(() => {
      win.removeEventListener('focus', onFocus);
      doc.removeEventListener('visibilitychange', onVisibility);
      poll.dispose();
    });
    this._watchers.push(watcher);
    return watcher;
  }

  /**
   * Follow the running terminals (the app's terminal manager), so that a terminal opened or
   * closed shows on the cards of the tokens the Jupyter server keeps.
   */
  followTerminals(terminals: PortalTokenManager.ITerminals): IDisposable {
    terminals.runningChanged.connect(this._onTerminalsChanged, this);
    const following = new DisposableDelegate(() =>
      terminals.runningChanged.disconnect(this._onTerminalsChanged, this)
    );
    this._watchers.push(following);
    return following;
  }

  /**
   * Ask the Jupyter server which terminals hold the tokens it keeps, once for every portal.
   * Calls made while one is waiting to start share it.
   */
  refreshTerminals(): Promise<void> {
    if (!this._terminalsQueued) {
      this._terminalsQueued = true;
      this._terminalsAsked = this._terminalsAsked.then(async () => {
        this._terminalsQueued = false;
        await this._askTerminals();
      });
    }
    return this._terminalsAsked;
  }

  /**
   * Keep the tabs of this JupyterLab in agreement: tell the others (same origin, through a
   * `BroadcastChannel` by default) when an action here changes a portal's tokens, and follow
   * theirs. A message names the portal and what happened, never a secret.
   */
  share(channel?: PortalTokenManager.IChannel): IDisposable {
    const own =
      channel ??
      (typeof BroadcastChannel !== 'undefined'
        ? new BroadcastChannel(PortalTokenManager.CHANNEL_NAME)
        : null);
    const sharing = new DisposableDelegate(() => {
      this._channel = null;
      if (own) {
        own.onmessage = null;
        if (!channel) {
          own.close();
        }
      }
    });
    if (!own) {
      return sharing;
    }
    own.onmessage = (event: MessageEvent) => {
      const data = event.data as Partial<PortalTokenManager.IMessage> | null;
      if (
        !data ||
        typeof data.portal !== 'string' ||
        (data.kind !== 'created' && data.kind !== 'removed')
      ) {
        return;
      }
      const kind = data.kind;
      for (const model of this.models) {
        if (model.config.id === data.portal && model.config.url === data.url) {
          void model.otherTabChanged(kind);
        }
      }
    };
    this._channel = own;
    this._watchers.push(sharing);
    return sharing;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const watcher of this._watchers.splice(0)) {
      watcher.dispose();
    }
    for (const model of this.models) {
      model.dispose();
    }
    this._items = [];
    Signal.clearData(this);
  }

  private _onTerminalsChanged(): void {
    void this.refreshTerminals();
  }

  private async _askTerminals(): Promise<void> {
    const models = this.models.filter(model => model.keptByServer);
    if (!this._broker || models.length === 0) {
      return;
    }
    let kept: IKeptToken[];
    try {
      kept = await this._broker.list();
    } catch {
      return; // The next change asks again.
    }
    for (const model of models) {
      if (!model.isDisposed) {
        model.noteTerminals(kept);
      }
    }
  }

  private _onModelChanged(model: PortalTokenModel): void {
    this._tokenChanged.emit(model);
  }

  private _onPortalChanged(model: PortalTokenModel, kind: PortalChange): void {
    const message: PortalTokenManager.IMessage = {
      portal: model.config.id,
      url: model.config.url,
      kind
    };
    this._channel?.postMessage(message);
  }

  private _onExpiryNotice(model: PortalTokenModel, kind: ExpiryNotice): void {
    this._expiryNotice.emit({ model, kind });
  }

  private _autoGenerate = false;
  private _channel: PortalTokenManager.IChannel | null = null;
  private _expiryNotice = new Signal<
    this,
    { model: PortalTokenModel; kind: ExpiryNotice }
  >(this);
  private _fresh: PortalTokenModel[] = [];
  private _injector: IKernelInjector | null;
  private _broker: ITokenBroker | null;
  private _isDisposed = false;
  private _items: Private.IItem[] = [];
  private _itemsChanged = new Signal<this, void>(this);
  private _origin: string;
  private _registry: IPortalRegistry;
  private _applying: Promise<void> = Promise.resolve();
  private _tokenChanged = new Signal<this, PortalTokenModel>(this);
  private _refreshing: Promise<void> | null = null;
  private _terminalsAsked: Promise<void> = Promise.resolve();
  private _terminalsQueued = false;
  private _watchers: IDisposable[] = [];
}

/**
 * The PortalTokenManager namespace.
 */
export namespace PortalTokenManager {
  /**
   * Options of a PortalTokenManager.
   */
  export interface IOptions {
    registry: IPortalRegistry;
    injector?: IKernelInjector | null;
    /** The Jupyter server's half, which keeps live tokens; none: tokens live in the page only. */
    broker?: ITokenBroker | null;
    /** The page's origin, against which relative portal URLs are resolved. */
    origin: string;
  }

  /** The BroadcastChannel the tabs share. */
  export const CHANNEL_NAME = 'jupyterlab-portal-token';

  /**
   * What one tab tells the others: which portal, and what an action there did. No secret.
   */
  export interface IMessage {
    portal: string;
    url: string;
    kind: PortalChange;
  }

  /**
   * The part of BroadcastChannel that `share` uses.
   */
  export interface IChannel {
    postMessage(message: unknown): void;
    onmessage: ((event: MessageEvent) => void) | null;
    close(): void;
  }

  /**
   * The part of the app's terminal manager that `followTerminals` uses.
   */
  export interface ITerminals {
    /** Emitted when terminals open or close. */
    readonly runningChanged: ISignal<unknown, unknown>;
  }

  /**
   * Options of `watch`.
   */
  export interface IWatchOptions {
    /** The window to follow (focus, visibility, timers); the page's own by default. */
    window?: Window;
    /** How often to ask the portals of live tokens while the tab is visible (default 60 s). */
    pollMs?: number;
  }
}

namespace Private {
  /** A configured portal, with the manager's own model. */
  export interface IItem extends IPortalItem {
    model: PortalTokenModel | null;
  }

  /** What must stay equal for a portal to keep its model. */
  export function key(entry: IPortalEntry): string {
    return JSON.stringify(entry.config);
  }
}
