import { ISignal, Signal } from '@lumino/signaling';
import { PortalError } from './portals/errors';
import type {
  ExpiryNotice,
  IBrokerStatus,
  ICreatedToken,
  ICreateOptions,
  ICredentials,
  IKernelInjectionStatus,
  IKeptToken,
  IKernelInjector,
  IPortalClient,
  IPortalConfig,
  IPortalStatus,
  IPortalTokenModel,
  ITerminalStatus,
  ITokenBroker,
  ITokenInfo,
  PortalChange,
  TokenActivity,
  TokenState
} from './tokens';

/**
 * One portal's token: a state machine over the portal client, with expiry timers and the kernel
 * injection of the live secret. Knows no DOM. Its members are documented on `IPortalTokenModel`;
 * the manager also sets its warning period and tells it of other tabs' changes.
 */
export class PortalTokenModel implements IPortalTokenModel {
  constructor(options: PortalTokenModel.IOptions) {
    this.client = options.client;
    this._injector = options.injector ?? null;
    this._warnBeforeMs = (options.warnBeforeExpiryDays ?? 7) * DAY_MS;
    this._autoInject = options.autoInject ?? true;
    this._autoRenew = options.autoRenew ?? false;
    this._injectTerminals = options.injectTerminals ?? true;
    this._broker = options.broker ?? null;
    this._brokerReady = this._broker
      ? this._broker.ready.then(status => {
          this._brokerStatus = status;
          return status;
        })
      : Promise.resolve(null);
    this._injector?.changed.connect(this._onInjectionChanged, this);
  }

  readonly client: IPortalClient;

  get config(): IPortalConfig {
    return this.client.config;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get portalChanged(): ISignal<this, PortalChange> {
    return this._portalChanged;
  }

  /**
   * Another tab of this JupyterLab changed the portal's tokens. Where that kills the token in
   * use here (one token per user, or a portal that deletes the others on create), it leaves
   * the kernels of this page at once; then the portal is asked again.
   */
  async otherTabChanged(kind: PortalChange): Promise<boolean> {
    const caps = this.client.capabilities;
    if (
      kind === 'created' &&
      this._state === 'live' &&
      (caps.singleToken || caps.replacesAll)
    ) {
      this._setToken('none', null, null);
    }
    return this.refresh();
  }

  get expiryNotice(): ISignal<this, ExpiryNotice> {
    return this._expiryNotice;
  }

  get state(): TokenState {
    return this._state;
  }

  get activity(): TokenActivity {
    return this._activity;
  }

  get error(): PortalError | null {
    return this._error;
  }

  get tokens(): readonly ITokenInfo[] {
    return this._tokens;
  }

  get token(): ITokenInfo | null {
    return this._token;
  }

  get secretPreview(): string | null {
    return this.#secret ? this.#secret.slice(0, 8) : null;
  }

  get server(): IBrokerStatus | null | undefined {
    return this._brokerStatus;
  }

  get keptByServer(): boolean {
    return this._state === 'live' && this._keptVersion !== null;
  }

  get expiringSoon(): boolean {
    const expires = this._token?.expires;
    return (
      !!expires &&
      this._state === 'live' &&
      expires.getTime() - Date.now() <= this._warnBeforeMs
    );
  }

  get timeLeft(): number | null {
    const expires = this._token?.expires;
    return expires ? expires.getTime() - Date.now() : null;
  }

  get injectionError(): string | null {
    return this._injectionError;
  }

  get kernelCount(): number {
    return this.kernels.filter(kernel => kernel.state === 'injected').length;
  }

  get kernels(): IKernelInjectionStatus[] {
    if (!this._injector || this._state !== 'live') {
      return [];
    }
    return this._injector.status(this.config.id);
  }

  get terminals(): ITerminalStatus[] {
    const record = this._terminalRecord;
    const version = this._kept?.version ?? this._keptVersion;
    if (this._state !== 'live' || !record || record.version !== version) {
      return [];
    }
    return [
      ...record.live.map(name => ({ name, holds: true })),
      ...record.stale.map(name => ({ name, holds: false }))
    ].sort((a, b) => Private.compareNames(a.name, b.name));
  }

  get terminalCount(): number {
    return this.terminals.filter(terminal => terminal.holds).length;
  }

  /**
   * Take the terminals of this portal's token from the Jupyter server's records (its list of
   * kept tokens), e.g. after a terminal opened or closed.
   */
  noteTerminals(kept: readonly IKeptToken[]): void {
    this._noteTerminals(
      kept.find(
        token =>
          token.portal === this.config.id && token.info?.url === this.config.url
      )
    );
  }

  get canRenew(): boolean {
    const caps = this.client.capabilities;
    return (
      caps.create &&
      caps.credentials === 'session' &&
      !caps.needsPassword &&
      caps.types.length === 0 &&
      (!caps.singleToken || caps.revoke)
    );
  }

  get autoRenew(): boolean {
    return this._autoRenew;
  }

  set autoRenew(value: boolean) {
    if (value === this._autoRenew) {
      return;
    }
    this._autoRenew = value;
    this._schedule();
    this._changed.emit();
  }

  get autoInject(): boolean {
    return this._autoInject;
  }

  /** Change the warning period. */
  set warnBeforeExpiryDays(days: number) {
    this._warnBeforeMs = days * DAY_MS;
    this._schedule();
    this._changed.emit();
  }

  set autoInject(value: boolean) {
    if (value === this._autoInject) {
      return;
    }
    this._autoInject = value;
    void this._syncInjection();
    this._changed.emit();
  }

  get injectTerminals(): boolean {
    return this._injectTerminals;
  }

  set injectTerminals(value: boolean) {
    if (value === this._injectTerminals) {
      return;
    }
    this._injectTerminals = value;
    void this._syncInjection();
    this._changed.emit();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async revealSecret(): Promise<string | null> {
    if (this.#secret || this._state !== 'live') {
      return this.#secret;
    }
    const kept = this._kept;
    if (!kept || !this._broker) {
      return null;
    }
    const values = await this._broker.values(this.config.id);
    return values?.[kept.secretName] ?? null;
  }

  async refresh(): Promise<boolean> {
    return this._run('checking', () => this._refreshInside());
  }

  async signIn(credentials: ICredentials): Promise<boolean> {
    return this._run('signing-in', async () => {
      if (!this.client.signIn) {
        throw new PortalError({ reason: 'bad-response' });
      }
      await this.client.signIn(credentials);
      await this._refreshInside();
    });
  }

  async signOut(): Promise<boolean> {
    return this._run('signing-out', async () => {
      this._tokens = [];
      this._error = null;
      this._setToken('signed-out', null, null);
      await this.client.signOut?.();
    });
  }

  forget(): void {
    this._error = null;
    this._setToken('none', null, null);
  }

  async generate(options?: ICreateOptions): Promise<boolean> {
    const done = await this._run('generating', async () => {
      try {
        const created = await this.client.create(options);
        const { secret, ...info } = created;
        this._setToken('live', info, secret);
      } catch (error) {
        // A 409 from a one-token portal means a token exists already: show it. Anything else
        // (another kind of portal, or no token to show after all) is a failure to explain.
        if (
          error instanceof PortalError &&
          error.reason === 'conflict' &&
          this.client.capabilities.singleToken
        ) {
          await this._refreshInside();
          if (this._state === 'stored' || this._state === 'expired') {
            return;
          }
        }
        throw error;
      }
      await this._refreshListQuietly();
    });
    if (done && this._state === 'live') {
      this._portalChanged.emit('created');
    }
    return done;
  }

  async revoke(id?: string): Promise<boolean> {
    const done = await this._run('revoking', async () => {
      const ownId = this._token?.id;
      const target = id ?? ownId;
      await this._revokeQuietly(
        this.client.capabilities.singleToken ? undefined : target
      );
      if (id === undefined || id === ownId) {
        this._setToken('none', null, null);
      }
      await this._refreshListQuietly();
    });
    if (done) {
      this._portalChanged.emit('removed');
    }
    return done;
  }

  async revokeMany(ids: string[]): Promise<boolean> {
    const done = await this._run('revoking', async () => {
      if (!this.client.revokeMany) {
        throw new PortalError({ reason: 'bad-response' });
      }
      await this.client.revokeMany(ids);
      if (this._token?.id !== undefined && ids.includes(this._token.id)) {
        this._setToken('none', null, null);
      }
      await this._refreshListQuietly();
    });
    if (done) {
      this._portalChanged.emit('removed');
    }
    return done;
  }

  async renew(): Promise<boolean> {
    const done = await this._run('generating', async () => {
      const old = this._state === 'live' ? this._token : null;
      const single = this.client.capabilities.singleToken;
      if (single) {
        await this._revokeQuietly();
      }
      let created: ICreatedToken;
      try {
        created = await this.client.create();
      } catch (error) {
        if (single) {
          // The old token is revoked: it must not stay in the kernels.
          this._setToken('none', null, null);
        } else {
          // The old token still works: warn and offer renewing by hand.
          this._schedule();
        }
        throw error;
      }
      const { secret, ...info } = created;
      this._setToken('live', info, secret);
      if (!single && old?.id !== undefined && this.client.capabilities.revoke) {
        await this._revokeQuietly(old.id);
      }
      await this._refreshListQuietly();
    });
    if (done) {
      this._portalChanged.emit('created');
    }
    return done;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearTimer();
    if (this.#secret) {
      this.#secret = null;
      void this._injector?.clear(this.config.id);
    }
    Signal.clearData(this);
  }

  private async _revokeQuietly(id?: string): Promise<void> {
    try {
      await this.client.revoke(id);
    } catch (error) {
      if (!(error instanceof PortalError && error.reason === 'not-found')) {
        throw error;
      }
    }
  }

  /**
   * Ask the portal and move to the state its answer means. A live secret survives only while
   * the portal still vouches for its token.
   */
  private async _refreshInside(): Promise<void> {
    const status = await this.client.status();
    const live = this._hasSecret() ? this._token : null;
    // After a reload (or from another tab): the live token the Jupyter server keeps.
    const kept = live ? null : await this._keptToken();
    this._applyStatus(status, live, kept);
    if (
      kept &&
      this._kept?.version !== kept.version &&
      status.signedIn &&
      status.available
    ) {
      // The portal no longer has the token the server keeps: no new kernel may get it.
      this._broker?.remove(this.config.id, kept.version).catch(() => undefined);
    }
  }

  /**
   * Move to the state the portal's answer means, given the live token here (`live`) or on the
   * server (`kept`).
   */
  private _applyStatus(
    status: IPortalStatus,
    live: ITokenInfo | null,
    kept: IKeptToken | null
  ): void {
    const caps = this.client.capabilities;
    if (!status.signedIn) {
      this._tokens = [];
      this._setToken('signed-out', null, null);
      return;
    }
    if (!status.available) {
      this._tokens = [];
      this._setToken('unavailable', null, null);
      return;
    }
    if (!caps.list) {
      // Nothing to learn from the portal: keep what this page (or the server) knows.
      if (kept) {
        this._adopt(kept, null);
      } else if (!live) {
        this._setToken('none', null, null);
      }
      return;
    }
    if (!caps.singleToken) {
      this._tokens = status.tokens;
      const own = live ?? (kept ? Private.keptInfo(kept) : null);
      const listed = own
        ? status.tokens.find(token => token.id === own.id)
        : undefined;
      if (listed && listed.valid !== false && !Private.isExpired(listed)) {
        if (live) {
          this._setToken('live', { ...live, ...listed }, this.#secret);
        } else {
          this._adopt(kept!, listed);
        }
      } else {
        // Revoked or expired elsewhere: it must not stay in the kernels.
        this._setToken('none', null, null);
      }
      return;
    }
    const token = status.tokens[0];
    if (!token) {
      this._setToken('none', null, null);
    } else if (Private.isExpired(token)) {
      this._setToken('expired', token, null);
    } else if (live) {
      // Still ours: keep the secret, take the portal's dates.
      this._setToken('live', { ...live, ...token }, this.#secret);
    } else if (kept && Private.sameToken(Private.keptInfo(kept), token)) {
      this._adopt(kept, token);
    } else {
      this._setToken('stored', token, null);
    }
  }

  /**
   * Update the token list after a change; a failure here does not undo the change.
   */
  private async _refreshListQuietly(): Promise<void> {
    const caps = this.client.capabilities;
    if (!caps.list || caps.singleToken) {
      return;
    }
    try {
      await this._refreshInside();
    } catch {
      // The next refresh shows the list.
    }
  }

  /**
   * Run one portal call: show progress, keep the state on failure, record the error.
   * Resolves to whether it worked; never rejects, so callers need no catch.
   * Calls do not overlap: a call made while another runs waits for it.
   */
  private async _run(
    activity: Exclude<TokenActivity, null>,
    work: () => Promise<void>
  ): Promise<boolean> {
    const previous = this._queue;
    let release!: () => void;
    this._queue = new Promise<void>(resolve => (release = resolve));
    await previous;
    try {
      if (this._isDisposed) {
        return false;
      }
      this._activity = activity;
      this._changed.emit();
      try {
        await work();
        // What the action changed has reached the server: a kernel started next is right.
        await this._serverSynced;
        this._error = null;
        return true;
      } catch (error) {
        this._error =
          error instanceof PortalError
            ? error
            : new PortalError({ reason: 'bad-response' });
        if (this._state === 'loading') {
          this._state = 'unreachable';
        }
        // Signed out of a session portal, a live token still works (its API token does not
        // depend on the session): keep it in the kernels and say why the call failed.
        const keepLive =
          this._state === 'live' &&
          this.client.capabilities.credentials === 'session';
        if (this._error.reason === 'signed-out' && !keepLive) {
          this._setToken('signed-out', null, null);
        }
        return false;
      } finally {
        this._activity = null;
        if (!this._isDisposed) {
          this._changed.emit();
        }
      }
    } finally {
      release();
    }
  }

  /**
   * Whether the live token's secret is here or on the Jupyter server.
   */
  private _hasSecret(): boolean {
    return this._state === 'live' && (!!this.#secret || this._kept !== null);
  }

  /**
   * The token the Jupyter server keeps for this portal and URL, if any (never its values).
   */
  private async _keptToken(): Promise<IKeptToken | null> {
    if (!this._broker || !(await this._brokerReady)) {
      return null;
    }
    try {
      const kept = await this._broker.list();
      return (
        kept.find(
          token =>
            token.portal === this.config.id &&
            token.info?.url === this.config.url
        ) ?? null
      );
    } catch {
      return null;
    }
  }

  /**
   * Show a token the Jupyter server keeps as live, the portal's listing (if any) for its dates.
   */
  private _adopt(kept: IKeptToken, listed: ITokenInfo | null): void {
    this._noteTerminals(kept, false);
    this._setToken(
      'live',
      { ...Private.keptInfo(kept), ...(listed ?? {}) },
      null,
      kept
    );
  }

  private _setToken(
    state: TokenState,
    token: ITokenInfo | null,
    secret: string | null,
    kept: IKeptToken | null = null
  ): void {
    const live = state === 'live';
    const keptNow = live ? kept : null;
    const secretChanged =
      secret !== this.#secret ||
      (keptNow?.version ?? null) !== (this._kept?.version ?? null);
    const previous = this._token;
    this._state = state;
    this._token = token;
    this.#secret = secret;
    this._kept = keptNow;
    // Warn once per token and end date: a refresh that finds the same token (every minute
    // while the tab is visible) must not warn again.
    if (
      secretChanged ||
      token?.id !== previous?.id ||
      token?.expires?.getTime() !== previous?.expires?.getTime()
    ) {
      this._warned = false;
    }
    if (secretChanged) {
      this._renewTried = false;
      this._liveSince = Date.now();
    }
    this._schedule();
    if (secretChanged) {
      void this._syncInjection();
    }
    this._changed.emit();
  }

  /**
   * Put the live secret into the Jupyter server and the kernels, or take it out. Runs one at a
   * time, in the order asked, so a removal never overtakes the hand-over before it.
   */
  private _syncInjection(): Promise<void> {
    let serverDone!: () => void;
    // Actions wait for this part only: the server's launch environment is right once it
    // resolves, while a busy kernel may take its time over stdin.
    this._serverSynced = new Promise<void>(resolve => (serverDone = resolve));
    const run = async () => {
      try {
        await this._syncNow(serverDone);
      } finally {
        serverDone();
        this._syncsPending -= 1;
      }
    };
    // Started at once when nothing runs, so a removal from the kernels begins in this tick.
    this._syncing = this._syncsPending === 0 ? run() : this._syncing.then(run);
    this._syncsPending += 1;
    return this._syncing;
  }

  private async _syncNow(serverDone: () => void): Promise<void> {
    const id = this.config.id;
    const before = this._injectionError;
    const secret = this.#secret;
    const kept = this._kept;
    try {
      this._injectionError = null;
      if (secret) {
        const variables = this._variables(secret);
        // Refuse values no environment can hold before anything leaves the page.
        this._injector?.check(variables);
        const version = !this._broker
          ? null
          : this.#keptFor === secret && this._keptVersion !== null
            ? await this._keepFlags(this._keptVersion)
            : await this._keep(secret, variables);
        serverDone();
        if (this.#secret !== secret) {
          return;
        }
        if (this._injector) {
          if (this._autoInject) {
            await this._injector.set(id, variables, { version });
          } else {
            await this._injector.clear(id);
          }
        }
      } else if (kept) {
        this._keptVersion = kept.version;
        this._keptFlags ??= Private.flags(kept);
        await this._keepFlags(kept.version);
        serverDone();
        if (this._injector) {
          if (this._autoInject) {
            await this._injector.adopt(id, {
              names: kept.names,
              version: kept.version,
              load: async () => {
                const values = await this._broker?.values(id);
                if (!values) {
                  throw new Error('gone');
                }
                return values;
              }
            });
          } else {
            await this._injector.clear(id);
          }
        }
      } else {
        // The kernels' scrub starts in this tick; the server forgets the token meanwhile.
        const scrub = this._injector?.clear(id);
        await this._unkeep();
        serverDone();
        await scrub;
      }
    } catch (error) {
      // The injector refuses values no environment can hold (its message names the variable,
      // never the value). Per-kernel failures are shown through its status instead.
      this._injectionError =
        error instanceof Error ? error.message : String(error);
    }
    if (this._injectionError !== before) {
      this._changed.emit();
    }
  }

  /** The live token's variables by name. */
  private _variables(secret: string): Record<string, string> {
    const values = this.client.environment(secret);
    const variables: Record<string, string> = {};
    for (const [role, name] of Object.entries(this.config.envVars)) {
      if (name && values[role] !== undefined) {
        variables[name] = values[role];
      }
    }
    return variables;
  }

  /**
   * Hand a new secret's variables to the Jupyter server; its version, or `null` when there is
   * no server half (or it failed: the page then keeps the token alone, as without one).
   */
  private async _keep(
    secret: string,
    variables: Record<string, string>
  ): Promise<string | null> {
    if (!this._broker || !(await this._brokerReady)) {
      return null;
    }
    const token = this._token;
    const secretName = this.config.envVars.token;
    if (!token || !secretName || variables[secretName] !== secret) {
      return null;
    }
    try {
      const kept = await this._broker.keep(this.config.id, {
        variables,
        secretName,
        info: Private.infoJSON(token, this.config.url),
        kernels: this._autoInject,
        terminals: this._injectTerminals
      });
      this._keptVersion = kept.version;
      this._keptFlags = Private.flags(kept);
      this.#keptFor = secret;
      this._noteTerminals(kept, false);
      this._changed.emit();
      return kept.version;
    } catch {
      this._keptVersion = null;
      return null;
    }
  }

  /**
   * Tell the server where the kept token goes, if the settings changed that; resolves with
   * the kept version.
   */
  private async _keepFlags(version: string): Promise<string> {
    if (!this._broker) {
      return version;
    }
    const wanted = Private.flags({
      kernels: this._autoInject,
      terminals: this._injectTerminals
    });
    if (this._keptFlags === wanted) {
      return version;
    }
    try {
      const updated = await this._broker.update(this.config.id, {
        kernels: this._autoInject,
        terminals: this._injectTerminals
      });
      this._keptFlags = Private.flags(updated);
      this._noteTerminals(updated);
    } catch {
      // Shown as it was; the next change tries again.
    }
    return version;
  }

  /** The page's token is gone: the server must not keep it either. */
  private async _unkeep(): Promise<void> {
    const version = this._keptVersion;
    if (version === null || !this._broker) {
      return;
    }
    this._keptVersion = null;
    this._keptFlags = null;
    this.#keptFor = null;
    try {
      // Only that version: another tab may have handed the server a newer token meanwhile.
      await this._broker.remove(this.config.id, version);
    } catch {
      // The server drops it at its expiry anyway.
    }
  }

  /**
   * Arm one timer for the next moment the state must change: the warning, then the expiry.
   * Timers are capped because setTimeout overflows past ~24.8 days.
   */
  private _schedule(): void {
    this._clearTimer();
    const expires = this._token?.expires;
    if (!expires || this._state !== 'live') {
      return;
    }
    const now = Date.now();
    const expiresAt = expires.getTime();
    if (expiresAt <= now) {
      this._expire();
      return;
    }
    const warnAt = expiresAt - this._warnBeforeMs;
    // Renew in the warning period, but never in the first half of the token's life (short
    // lifetimes would otherwise renew in a loop).
    const renewAt = this._renewAt(expiresAt);
    if (renewAt !== null && renewAt <= now) {
      // Once per token: if it fails, the warning and the renew button stay.
      this._renewTried = true;
      void this.renew();
      return;
    }
    // No warning while a renewal is planned: the user has nothing to do.
    if (warnAt <= now && !this._warned && renewAt === null) {
      this._warned = true;
      this._expiryNotice.emit('warning');
    }
    const next = Math.min(
      ...[warnAt, expiresAt, renewAt ?? Infinity].filter(at => at > now)
    );
    this._timer = setTimeout(
      () => {
        this._timer = null;
        this._schedule();
        this._changed.emit();
      },
      Math.min(next - now, MAX_TIMEOUT_MS)
    );
  }

  /** When to renew the live token by itself, or `null` for not at all. */
  private _renewAt(expiresAt: number): number | null {
    if (!this._autoRenew || !this.canRenew || this._renewTried) {
      return null;
    }
    const created = this._token?.created?.getTime() ?? this._liveSince;
    const lifetime = Math.max(0, expiresAt - created);
    return expiresAt - Math.min(this._warnBeforeMs, lifetime / 2);
  }

  private _expire(): void {
    this._setToken('expired', this._token, null);
    this._expiryNotice.emit('expired');
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /**
   * Keep a server record's terminals (records of servers without them are ignored); emit
   * `changed` when that changes what is shown, unless the caller emits it anyway.
   */
  private _noteTerminals(record: IKeptToken | undefined, emit = true): void {
    if (
      !record ||
      !Array.isArray(record.liveTerminals) ||
      !Array.isArray(record.staleTerminals)
    ) {
      return;
    }
    const before = JSON.stringify(this.terminals);
    this._terminalRecord = {
      version: record.version,
      live: record.liveTerminals.filter(name => typeof name === 'string'),
      stale: record.staleTerminals.filter(name => typeof name === 'string')
    };
    if (emit && JSON.stringify(this.terminals) !== before) {
      this._changed.emit();
    }
  }

  private _onInjectionChanged(): void {
    if (this._state === 'live') {
      this._changed.emit();
    }
  }

  private _activity: TokenActivity = null;
  private _broker: ITokenBroker | null;
  private _brokerReady: Promise<IBrokerStatus | null>;
  private _brokerStatus: IBrokerStatus | null | undefined = undefined;
  private _injectTerminals: boolean;
  /** The server's token for this portal, when only the server has the secret. */
  private _kept: IKeptToken | null = null;
  private _keptFlags: string | null = null;
  /** The version of the values this page last handed to (or took from) the server. */
  private _keptVersion: string | null = null;
  /** The running terminals of a version of the token, as the server last said. */
  private _terminalRecord: {
    version: string;
    live: string[];
    stale: string[];
  } | null = null;
  private _syncing: Promise<void> = Promise.resolve();
  private _serverSynced: Promise<void> = Promise.resolve();
  private _syncsPending = 0;
  private _autoInject: boolean;
  private _autoRenew: boolean;
  private _liveSince = Date.now();
  private _renewTried = false;
  private _changed = new Signal<this, void>(this);
  private _error: PortalError | null = null;
  private _expiryNotice = new Signal<this, ExpiryNotice>(this);
  private _portalChanged = new Signal<this, PortalChange>(this);
  private _injector: IKernelInjector | null;
  private _injectionError: string | null = null;
  private _isDisposed = false;
  private _queue: Promise<void> = Promise.resolve();
  /**
   * The secret, in a true private field: not an own property that the console, `Object.keys`
   * or JSON would show, nor one another extension could read by name.
   */
  #secret: string | null = null;
  /** The secret whose values the server has, as `_keptVersion`. */
  #keptFor: string | null = null;
  private _state: TokenState = 'loading';
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _token: ITokenInfo | null = null;
  private _tokens: readonly ITokenInfo[] = [];
  private _warnBeforeMs: number;
  private _warned = false;
}

/**
 * The PortalTokenModel namespace.
 */
export namespace PortalTokenModel {
  /**
   * Options of a PortalTokenModel.
   */
  export interface IOptions {
    /** The portal's client. */
    client: IPortalClient;
    /** Where the live secret goes; none in tests of the state machine alone. */
    injector?: IKernelInjector | null;
    /** Warn when fewer days than this remain (default 7). */
    warnBeforeExpiryDays?: number;
    /** Inject into kernels (default true). */
    autoInject?: boolean;
    /** Replace the live token by itself before it expires (default false). */
    autoRenew?: boolean;
    /** Give the live token to new terminals too, through the server (default true). */
    injectTerminals?: boolean;
    /** The Jupyter server's half, which keeps live tokens across reloads; none: page only. */
    broker?: ITokenBroker | null;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

namespace Private {
  export function isExpired(token: ITokenInfo): boolean {
    return !!token.expires && token.expires.getTime() <= Date.now();
  }

  /** A token's description as the server keeps it (no secret). */
  export function infoJSON(token: ITokenInfo, url: string): IKeptToken.IInfo {
    return {
      url,
      ...(token.id === undefined ? {} : { id: token.id }),
      ...(token.label === undefined ? {} : { label: token.label }),
      ...(token.type === undefined ? {} : { type: token.type }),
      ...(token.created ? { created: token.created.toISOString() } : {}),
      expires: token.expires ? token.expires.toISOString() : null,
      precision: token.precision
    };
  }

  /** The description back from the server. */
  export function keptInfo(kept: IKeptToken): ITokenInfo {
    const info = kept.info;
    const date = (value: string | null | undefined) => {
      const parsed = value ? new Date(value) : null;
      return parsed && !isNaN(parsed.getTime()) ? parsed : null;
    };
    return {
      ...(info.id === undefined ? {} : { id: info.id }),
      ...(info.label === undefined ? {} : { label: info.label }),
      ...(info.type === undefined ? {} : { type: info.type }),
      ...(date(info.created) ? { created: date(info.created)! } : {}),
      expires: date(kept.expires ?? info.expires),
      precision: info.precision === 'hour' ? 'hour' : 'second'
    };
  }

  /**
   * Whether a one-token portal's token is the one the server keeps: it has no id, so compare
   * the end dates, as far as the portal's precision goes.
   */
  export function sameToken(kept: ITokenInfo, listed: ITokenInfo): boolean {
    if (kept.id !== undefined && listed.id !== undefined) {
      return kept.id === listed.id;
    }
    if (!kept.expires || !listed.expires) {
      return kept.expires === listed.expires;
    }
    const slack =
      kept.precision === 'hour' || listed.precision === 'hour'
        ? 60 * 60 * 1000
        : 1000;
    return Math.abs(kept.expires.getTime() - listed.expires.getTime()) < slack;
  }

  /** Terminal names in the order a person counts them: "2" before "10". */
  export function compareNames(a: string, b: string): number {
    return a.localeCompare(b, undefined, { numeric: true });
  }

  /** Where a kept token goes, as one comparable string. */
  export function flags(value: {
    kernels: boolean;
    terminals: boolean;
  }): string {
    return `${value.kernels}/${value.terminals}`;
  }
}
