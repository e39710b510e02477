import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { Kernel } from '@jupyterlab/services';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';
import type { PortalError } from './portals/errors';

/**
 * Where one kernel stands with one source's variables.
 *
 * - `injected`: the kernel holds the variables.
 * - `pending`: a message is on its way.
 * - `unsupported`: no snippet for this language.
 * - `failed`: the kernel refused or died.
 */
export type InjectionState = 'injected' | 'pending' | 'unsupported' | 'failed';

/**
 * What one kernel holds of one source's variables.
 */
export interface IKernelInjectionStatus {
  /** The kernel id. */
  kernelId: string;
  /** The kernel spec name, e.g. `python3`. */
  kernelName: string;
  /** The language (`language_info.name`, or the kernel spec's language before the kernel answered). */
  language: string;
  /** Where the kernel stands. */
  state: InjectionState;
  /** Why the state is `unsupported` or `failed` (already translated). */
  reason?: string;
}

/**
 * Puts environment variables into kernels without ever sending their values as code.
 *
 * Each source (a portal) owns a set of variables. While a source's variables are set, they are
 * pushed into every running kernel, every new kernel, and every kernel after a restart.
 */
export interface IKernelInjector {
  /** Emitted when any kernel's status for any source changes. */
  readonly changed: ISignal<IKernelInjector, void>;

  /**
   * Set (or replace) the variables of a source and push them into every running kernel.
   * Resolves once every running kernel has answered (or failed).
   *
   * With a `version` (what the Jupyter server calls this set of values), kernels that the
   * server says hold it already (it put them into their environment at launch) get no message.
   */
  set(
    sourceId: string,
    variables: Record<string, string>,
    options?: IKernelInjector.ISetOptions
  ): Promise<void>;

  /**
   * Follow a source whose values the Jupyter server keeps but this page does not (after a
   * reload): kernels holding `version` count as injected with no message; the values are
   * fetched with `load` only if a kernel lacks them.
   */
  adopt(sourceId: string, source: IKernelInjector.IAdoptOptions): Promise<void>;

  /**
   * Throw the error `set` would throw for these variables (a name or value no environment can
   * hold), without touching any kernel.
   */
  check(variables: Record<string, string>): void;

  /** Remove a source's variables from every kernel that holds them, and stop injecting them. */
  clear(sourceId: string): Promise<void>;

  /** Per-kernel status of a source's variables (empty when the source has none set). */
  status(sourceId: string): IKernelInjectionStatus[];

  /**
   * Follow a widget's session context (notebook, console), so its kernel gets the variables
   * before the first user message, also after kernel changes and restarts.
   */
  addSessionContext(context: ISessionContext): void;
}

/**
 * The IKernelInjector namespace.
 */
export namespace IKernelInjector {
  /**
   * Options of `set`.
   */
  export interface ISetOptions {
    /** The Jupyter server's version of these values, when it keeps them too. */
    version?: string | null;
  }

  /**
   * A source whose values the Jupyter server keeps.
   */
  export interface IAdoptOptions {
    /** The variables' names (no values). */
    names: string[];
    /** The server's version of the values. */
    version: string;
    /** Fetch the values, for a kernel that lacks them. */
    load: () => Promise<Record<string, string>>;
  }
}

/**
 * What the Jupyter server knows of the variables in its kernels' processes: each kernel's
 * sources by version, from its launch or from a report of the page's own injection.
 */
export interface ILaunchRecords {
  /**
   * Source id → version that a kernel's current process holds, as the server recorded it
   * (empty for a kernel the server did not launch itself, or when it cannot say).
   */
  held(kernelId: string): Promise<Record<string, string>>;
  /** Tell the server that a kernel's process now holds a source's version. */
  report(kernelId: string, sourceId: string, version: string): Promise<void>;
}

/**
 * The kernel injector service.
 */
export const IKernelInjector = new Token<IKernelInjector>(
  'jupyterlab-portal-token:IKernelInjector',
  'Puts portal API tokens into the environment of every kernel.'
);

/**
 * Re-exported so that implementers need not import services themselves.
 */
export type KernelConnection = Kernel.IKernelConnection;

/**
 * The portal kinds this extension has clients for. Other extensions may register more kinds, so
 * a portal's `kind` is any string.
 */
export type BuiltInPortalKind = 'xdmod' | 'sodar' | 'axivion';

/**
 * How the panel reaches a portal: the `via` setting (see `IPortalConfig.via`).
 */
export type PortalVia = 'auto' | 'browser' | 'server';

/**
 * One portal as configured in the settings, with its URL made absolute.
 */
export interface IPortalConfig {
  /** Unique id of the portal in the settings. */
  id: string;
  /** The portal software, e.g. `xdmod`; selects the client. */
  kind: string;
  /** What the user sees. */
  label: string;
  /** The portal's base URL, absolute, ending with `/`. */
  url: string;
  /** Environment variables to set in kernels: role (e.g. `token`, `host`) → variable name. */
  envVars: Record<string, string>;
  /**
   * How the panel reaches the portal: from the browser (`browser`, the default, for a portal on
   * JupyterLab's own origin, with the browser's session) or through the Jupyter server's relay
   * (`server`, for a portal on another origin that sends no CORS headers). `auto`: another
   * origin, not chosen in the settings: the relay too.
   */
  via?: PortalVia;
  /**
   * Whether the panel may sign in with the user's password where it must (XDMoD on another
   * origin); false behind single sign-on. True when left out.
   */
  passwordSignIn?: boolean;
}

/**
 * How a portal learns who the user is.
 *
 * - `session`: the browser's own portal session (cookies); a signed-out user signs in at the
 *   portal's page (`signInUrl`). XDMoD.
 * - `sign-in`: the panel asks for username and password once and calls `signIn`; the client
 *   keeps what it needs in memory only. Axivion, and XDMoD through the relay.
 * - `per-create`: there is no session; every `create` carries username and password, which the
 *   client sends once and never keeps. SODAR.
 * - `portal-origin`: only the browser's session on the portal's own origin would do (single
 *   sign-on, no password), and this JupyterLab is on another origin: nothing here can sign in.
 *   XDMoD through the relay with `passwordSignIn: false`.
 */
export type PortalCredentials =
  'session' | 'sign-in' | 'per-create' | 'portal-origin';

/**
 * What a portal's token API can do; views offer exactly what is declared here.
 */
export interface IPortalCapabilities {
  /** How the user is identified. */
  credentials: PortalCredentials;
  /** Tokens can be created from here. */
  create: boolean;
  /** The user's tokens can be listed (at least their dates). */
  list: boolean;
  /** A token can be revoked from here. */
  revoke: boolean;
  /** Several tokens can be revoked in one call (`revokeMany`). */
  bulkRevoke: boolean;
  /** The portal keeps at most one token per user. */
  singleToken: boolean;
  /** Creating a token deletes all of the user's other tokens (warn the user first). */
  replacesAll: boolean;
  /** Creating takes a label (description). */
  label: boolean;
  /** Longest label the portal accepts, if it has a limit. */
  labelMaxLength?: number;
  /** Creating takes a lifetime (asked in hours). */
  lifetime: boolean;
  /** What a lifetime of 0 means: the token never expires, or the portal's default applies. */
  zeroLifetime: 'never' | 'default';
  /** Creating needs the user's password (the create form asks for it every time). */
  needsPassword: boolean;
  /** Token types the user can choose from when creating (empty: none); the first is the default. */
  types: string[];
}

/**
 * What the user chose when creating a token. Fields a portal's capabilities do not declare are
 * ignored by its client.
 */
export interface ICreateOptions {
  /** Label or description. */
  label?: string;
  /** Lifetime in hours; 0 means `zeroLifetime`. Absent: the portal's default. */
  lifetimeHours?: number;
  /** One of `capabilities.types`. */
  type?: string;
  /** For `per-create` portals. */
  username?: string;
  /** For `per-create` portals and `needsPassword`. Sent once, never kept. */
  password?: string;
}

/**
 * A username and password typed into the panel. Never stored.
 */
export interface ICredentials {
  username: string;
  password: string;
}

/**
 * How precise the portal's dates are.
 *
 * XDMoD formats dates with `Y-m-d H:m:s`, so its minutes hold the month: only the date and hour
 * (and seconds) can be trusted.
 */
export type DatePrecision = 'second' | 'hour';

/**
 * A token as a portal lists it: no secret.
 */
export interface ITokenInfo {
  /** The portal's id of the token, if it has ids. */
  id?: string;
  /** Label or description, as the portal has it (plain text, never HTML). */
  label?: string;
  /** The token's type, for portals with types. */
  type?: string;
  /** When it was created, if the portal says. */
  created?: Date;
  /** When it expires; `null` when it never expires. */
  expires: Date | null;
  /** When it was last used: `null` for never, absent when the portal does not say. */
  lastUsed?: Date | null;
  /** `false` for tokens the portal keeps but that can no longer authenticate (expired, revoked). */
  valid?: boolean;
  /** The client authenticates with this token right now ("this session"). */
  current?: boolean;
  /** How far the dates can be trusted. */
  precision: DatePrecision;
}

/**
 * A token just created: the only moment its secret is known.
 */
export interface ICreatedToken extends ITokenInfo {
  /** The secret. Keep it in memory only. */
  secret: string;
}

/**
 * What a portal says about the user and their tokens.
 */
export interface IPortalStatus {
  /** The portal answered that the user has no session. */
  signedIn: boolean;
  /** The portal offers API tokens at all. */
  available: boolean;
  /** The user's tokens (for single-token portals: zero or one). */
  tokens: ITokenInfo[];
}

/**
 * A client for one portal's token API.
 */
export interface IPortalClient {
  /** The portal this client talks to. */
  readonly config: IPortalConfig;
  /** What this portal's API can do. */
  readonly capabilities: IPortalCapabilities;
  /** Where a person signs in to the portal. */
  readonly signInUrl: string;
  /** Where a person manages their tokens in the portal's own pages, if it has such a page. */
  readonly manageUrl?: string;
  /**
   * Ask the portal about the user and their tokens. `per-create` portals have nothing to ask
   * and answer signed in, available, no tokens.
   */
  status(): Promise<IPortalStatus>;
  /** `sign-in` portals: check the credentials and open a session (kept in memory only). */
  signIn?(credentials: ICredentials): Promise<void>;
  /**
   * `sign-in` portals: forget the session; a session the portal keeps (through the relay) is
   * closed there once the promise, if any, resolves.
   */
  signOut?(): void | Promise<void>;
  /** Create a token. */
  create(options?: ICreateOptions): Promise<ICreatedToken>;
  /** Revoke a token (single-token portals take no id). */
  revoke(id?: string): Promise<void>;
  /** Revoke several tokens at once (`bulkRevoke`). */
  revokeMany?(ids: string[]): Promise<void>;
  /**
   * The values to put into kernels for a token, by role (e.g. `token`, `host`); the portal's
   * `envVars` map roles to variable names.
   */
  environment(secret: string): Record<string, string>;
}

/**
 * Makes portal clients by kind.
 */
export interface IPortalRegistry {
  /**
   * Register a client factory for a portal kind, with the kind's default variable names by role.
   */
  register(
    kind: string,
    factory: (config: IPortalConfig) => IPortalClient,
    envVars: Record<string, string>
  ): void;
  /** The default variable names of a kind, by role. */
  defaultEnvVars(kind: string): Record<string, string>;
  /** The kinds that have a client. */
  readonly kinds: string[];
  /**
   * Make the clients of these kinds ready to `create` (a kind's code may be fetched on demand);
   * unknown kinds are ignored.
   */
  load(kinds: readonly string[]): Promise<void>;
  /** Make a client for a portal, or throw if its kind is unknown or not loaded yet. */
  create(config: IPortalConfig): IPortalClient;
}

/**
 * The portal client registry service.
 */
export const IPortalRegistry = new Token<IPortalRegistry>(
  'jupyterlab-portal-token:IPortalRegistry',
  'Makes API clients for the portal kinds the extension knows.'
);

/**
 * A portal entry from the settings, checked: either a usable config or the reasons it is not.
 */
export interface IPortalEntry {
  /** The entry's id (or its position when it has none). */
  id: string;
  /** The label to show, even for a broken entry. */
  label: string;
  /** The usable config, or `null` when `problems` is not empty. */
  config: IPortalConfig | null;
  /** What is wrong with the entry, as message ids with their arguments (translated by the view). */
  problems: ConfigProblem[];
}

/**
 * One thing wrong with a portal entry.
 */
export type ConfigProblem =
  | { kind: 'unknown-kind'; value: string }
  | { kind: 'bad-url'; value: string }
  | { kind: 'bad-via'; value: string }
  | { kind: 'bad-variable'; value: string }
  | { kind: 'empty-token-variable' }
  | { kind: 'duplicate-id'; value: string }
  | { kind: 'missing-id' };

/**
 * Where a portal's token stands, as far as this page knows.
 *
 * - `loading`: the first check has not answered yet.
 * - `unreachable`: the first check failed (network, 5xx, bad answer); `error` says why.
 * - `signed-out`: the portal says the user has no session (or, for portals signed in from the
 *   panel, none has been opened on this page).
 * - `unavailable`: the portal does not offer API tokens.
 * - `none`: signed in, no token in use here (portals with several tokens may list others).
 * - `live`: a token created here; its secret is in memory (this page's, or the Jupyter
 *   server's after a reload) and in the kernels.
 * - `stored`: the portal has a token whose secret is not here.
 * - `expired`: the portal's token has expired (it still blocks creating a new one).
 */
export type TokenState =
  | 'loading'
  | 'unreachable'
  | 'signed-out'
  | 'unavailable'
  | 'none'
  | 'live'
  | 'stored'
  | 'expired';

/**
 * What the model is doing right now, for progress display.
 */
export type TokenActivity =
  'checking' | 'signing-in' | 'signing-out' | 'generating' | 'revoking' | null;

/**
 * What an action on this page did to a portal's tokens: `created` (generate, renew, replace) or
 * `removed` (revoke, and forgetting a token this page made).
 */
export type PortalChange = 'created' | 'removed';

/**
 * Why a live token needs the user: it entered its warning period (`warning`), or it expired.
 */
export type ExpiryNotice = 'warning' | 'expired';

/**
 * One portal's token: a state machine over the portal client, with expiry timers and the kernel
 * injection of the live secret. Knows no DOM.
 */
export interface IPortalTokenModel extends IDisposable {
  /** The portal's client. */
  readonly client: IPortalClient;

  /** The portal's configuration. */
  readonly config: IPortalConfig;

  /** Emitted whenever anything shown about the token changes. */
  readonly changed: ISignal<IPortalTokenModel, void>;

  /**
   * Emitted when an action on this page changed the portal's tokens. Other tabs listen
   * (see PortalTokenManager.share). Never carries the secret.
   */
  readonly portalChanged: ISignal<IPortalTokenModel, PortalChange>;

  /** Emitted once when the token enters the warning period or expires (for notifications). */
  readonly expiryNotice: ISignal<IPortalTokenModel, ExpiryNotice>;

  /** The current state. */
  readonly state: TokenState;

  /** What is in progress, if anything. */
  readonly activity: TokenActivity;

  /** The last failure, kept until the next call succeeds. */
  readonly error: PortalError | null;

  /**
   * The user's tokens as the portal lists them (no secrets), for portals that keep several;
   * empty otherwise.
   */
  readonly tokens: readonly ITokenInfo[];

  /** The token as the portal describes it (no secret), in `live`, `stored` and `expired`. */
  readonly token: ITokenInfo | null;

  /**
   * The first 8 characters of the live secret, for recognising it; `null` otherwise, and when
   * only the Jupyter server has the secret (after a reload).
   */
  readonly secretPreview: string | null;

  /**
   * What the Jupyter server's half of this extension said about itself: `null` without one
   * (tokens are then kept in this page only), `undefined` before it answered.
   */
  readonly server: IBrokerStatus | null | undefined;

  /** Whether the Jupyter server keeps the live token (it survives a reload, reaches launches). */
  readonly keptByServer: boolean;

  /** Whether fewer than the warning period remains. */
  readonly expiringSoon: boolean;

  /** Milliseconds until expiry (negative when past), or `null` when unknown or never. */
  readonly timeLeft: number | null;

  /**
   * Why the live token could not be put into the kernels at all (e.g. a value no environment
   * can hold), or `null`.
   */
  readonly injectionError: string | null;

  /** Kernels that hold the live token. */
  readonly kernelCount: number;

  /** Per-kernel injection status of the live token (never the secret). */
  readonly kernels: IKernelInjectionStatus[];

  /**
   * The running terminals and whether each holds the live token, as the Jupyter server said
   * last; empty when the server does not keep the token.
   */
  readonly terminals: ITerminalStatus[];

  /** Running terminals that hold the live token. */
  readonly terminalCount: number;

  /**
   * Whether the live token can be renewed with one click (or automatically): the portal makes
   * tokens without asking anything.
   */
  readonly canRenew: boolean;

  /** Whether the live token is replaced by itself before it expires; set to turn it on or off. */
  autoRenew: boolean;

  /** Whether injecting into kernels is on; turning it off scrubs the kernels now. */
  autoInject: boolean;

  /**
   * Whether new terminals get the live token (through the Jupyter server); a change applies to
   * terminals opened from then on.
   */
  injectTerminals: boolean;

  /**
   * The live secret, for an explicit user action (copy, reveal): from this page's memory, or
   * from the Jupyter server when only it has the secret. Never log it.
   */
  revealSecret(): Promise<string | null>;

  /**
   * Ask the portal where things stand. On failure the state is kept and `error` set
   * (a failed first check goes to `unreachable`).
   */
  refresh(): Promise<boolean>;

  /**
   * Sign in from the panel (portals whose credentials are `sign-in`), then list the tokens.
   * The password goes to the client and is not kept here.
   */
  signIn(credentials: ICredentials): Promise<boolean>;

  /**
   * Forget the panel's sign-in and scrub the kernels (the portal's tokens stay valid), then
   * close the portal's session. Checks asked meanwhile wait for the portal to have closed it,
   * so none finds it still open and signs the panel in again.
   */
  signOut(): Promise<boolean>;

  /**
   * Take the live token out of the kernels and forget it, without revoking it at the portal
   * (for portals whose API cannot revoke).
   */
  forget(): void;

  /**
   * Create a token and inject it. A 409 (a token already exists) leads to `stored`.
   */
  generate(options?: ICreateOptions): Promise<boolean>;

  /**
   * Revoke a token (by default the one in use here) and scrub the kernels if it was that one.
   * A token already gone counts as revoked.
   */
  revoke(id?: string): Promise<boolean>;

  /**
   * Revoke several tokens in one call (portals with `bulkRevoke`).
   */
  revokeMany(ids: string[]): Promise<boolean>;

  /**
   * Replace the portal's token with a new one made here: a stored or expired one, or the live
   * one without a gap in the kernels (they hold the old value until the new one takes its
   * place). Single-token portals must revoke first; others revoke the old token once the new
   * one is in.
   */
  renew(): Promise<boolean>;

  /** Stop timers, scrub the kernels, and drop the secret. */
  dispose(): void;
}

/**
 * One configured portal: its entry, and a model when the entry is usable.
 */
export interface IPortalItem {
  entry: IPortalEntry;
  model: IPortalTokenModel | null;
}

/**
 * One token model per configured portal, in step with the settings.
 */
export interface IPortalTokenManager {
  /** Emitted when portals are added, removed or reconfigured. */
  readonly itemsChanged: ISignal<IPortalTokenManager, void>;

  /** Emitted when any portal's token changes. */
  readonly tokenChanged: ISignal<IPortalTokenManager, IPortalTokenModel>;

  /** Emitted when a live token enters its warning period or expires. */
  readonly expiryNotice: ISignal<
    IPortalTokenManager,
    IPortalTokenManager.IExpiryNotice
  >;

  /** The configured portals, in settings order. */
  readonly items: readonly IPortalItem[];

  /** The models of the usable portals. */
  readonly models: IPortalTokenModel[];

  /**
   * Ask every idle portal again, e.g. when the window regains focus: the user may have signed
   * in or out, or revoked the token, in the portal's own tab.
   */
  refreshAll(): Promise<void>;
}

/**
 * The IPortalTokenManager namespace.
 */
export namespace IPortalTokenManager {
  /**
   * What `expiryNotice` carries: whose token, and what happened to it.
   */
  export interface IExpiryNotice {
    model: IPortalTokenModel;
    kind: ExpiryNotice;
  }
}

/**
 * The token manager service: one model per configured portal.
 */
export const IPortalTokenManager = new Token<IPortalTokenManager>(
  'jupyterlab-portal-token:IPortalTokenManager',
  'Holds the API token state of every configured portal.'
);

/**
 * What the Jupyter server's half of this extension says about itself.
 */
export interface IBrokerStatus {
  /** The server extension's version. */
  version: string;
  /** Whether the server puts live tokens into every kernel it starts or restarts. */
  launch: {
    kernels: boolean;
    /** Why not: a gateway serves the kernels, or the administrator chose a kernel manager. */
    reason: 'gateway' | 'kernel-manager' | null;
  };
  /** Whether the server has terminals (new ones get the variables). */
  terminals: boolean;
}

/**
 * A live token as the Jupyter server keeps it: everything but the values.
 */
export interface IKeptToken {
  /** The portal's id. */
  portal: string;
  /** Changes with every new set of values. */
  version: string;
  /** The variables' names. */
  names: string[];
  /** The variable that holds the secret itself. */
  secretName: string;
  /** What the page knew of the token (no secret), as JSON. */
  info: IKeptToken.IInfo;
  /** Expiry as ISO-8601, or `null` for never. */
  expires: string | null;
  /** Whether new kernels get it at launch. */
  kernels: boolean;
  /** Whether new terminals get it. */
  terminals: boolean;
  /**
   * The names of the running terminals that hold this version (opened since it reached
   * terminals); absent from servers before this field.
   */
  liveTerminals?: string[];
  /** The names of the other running terminals (opened before, or while it did not reach them). */
  staleTerminals?: string[];
}

/**
 * Whether one running terminal holds a live token: terminals keep the environment they
 * started with.
 */
export interface ITerminalStatus {
  /** The terminal's name on the server, e.g. `1`. */
  name: string;
  /** Whether it holds the current token (false: opened before it reached terminals). */
  holds: boolean;
}

/**
 * The IKeptToken namespace.
 */
export namespace IKeptToken {
  /**
   * `ITokenInfo` with its dates as ISO-8601 strings, and the portal URL it is for.
   */
  export interface IInfo {
    url: string;
    id?: string;
    label?: string;
    type?: string;
    created?: string;
    expires: string | null;
    precision: DatePrecision;
  }
}

/**
 * Keeps live tokens in the Jupyter server's memory, so that they survive a reload and reach
 * every kernel and terminal at launch. Never holds a value in the page beyond a call.
 */
export interface ITokenBroker extends ILaunchRecords {
  /** The server half's status, or `null` when the server does not have it (or is too old). */
  readonly ready: Promise<IBrokerStatus | null>;
  /** The tokens the server keeps (no values). */
  list(): Promise<IKeptToken[]>;
  /** Hand a new token's variables to the server; resolves with what it keeps. */
  keep(portal: string, token: ITokenBroker.IKeepOptions): Promise<IKeptToken>;
  /** Change where a kept token goes, without sending its values again. */
  update(
    portal: string,
    options: { kernels: boolean; terminals: boolean }
  ): Promise<IKeptToken>;
  /**
   * Forget a portal's token on the server (no error when it has none); with a `version`, only
   * if the server still keeps that one.
   */
  remove(portal: string, version?: string): Promise<void>;
  /** The values of a kept token, for an explicit user action; `null` when there is none. */
  values(portal: string): Promise<Record<string, string> | null>;
}

/**
 * The ITokenBroker namespace.
 */
export namespace ITokenBroker {
  /**
   * What `keep` sends.
   */
  export interface IKeepOptions {
    variables: Record<string, string>;
    secretName: string;
    info: IKeptToken.IInfo;
    kernels: boolean;
    terminals: boolean;
  }
}

/**
 * The token broker service (the server half of this extension).
 */
export const ITokenBroker = new Token<ITokenBroker>(
  'jupyterlab-portal-token:ITokenBroker',
  'Keeps live API tokens in the Jupyter server, for reloads and for kernels at launch.'
);
