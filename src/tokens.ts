import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { Kernel } from '@jupyterlab/services';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { PortalTokenManager } from './manager';

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
  /**
   * `injected`: the kernel holds the variables; `pending`: a message is on its way;
   * `unsupported`: no snippet for this language; `failed`: the kernel refused or died.
   */
  state: 'injected' | 'pending' | 'unsupported' | 'failed';
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
   */
  set(sourceId: string, variables: Record<string, string>): Promise<void>;

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
}

/**
 * What a portal's token API can do; views offer exactly what is declared here.
 */
export interface IPortalCapabilities {
  /** Tokens can be created from here. */
  create: boolean;
  /** The user's tokens can be listed (at least their dates). */
  list: boolean;
  /** A token can be revoked from here. */
  revoke: boolean;
  /** The portal keeps at most one token per user. */
  singleToken: boolean;
  /** Creating takes a label. */
  label: boolean;
  /** Creating takes a lifetime. */
  lifetime: boolean;
  /** Creating needs the user's password (sign-in form in the panel). */
  needsPassword: boolean;
  /** Token types the user can choose from when creating (empty: none). */
  types: string[];
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
  /** When it was created, if the portal says. */
  created?: Date;
  /** When it expires; `null` when it never expires. */
  expires: Date | null;
  /** How far `created` and `expires` can be trusted. */
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
  /** Ask the portal about the user and their tokens. */
  status(): Promise<IPortalStatus>;
  /** Create a token. */
  create(): Promise<ICreatedToken>;
  /** Revoke a token (single-token portals take no id). */
  revoke(id?: string): Promise<void>;
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
  /** Make a client for a portal, or throw if its kind is unknown. */
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
 * The token manager service: one model per configured portal.
 */
export const IPortalTokenManager = new Token<PortalTokenManager>(
  'jupyterlab-portal-token:IPortalTokenManager',
  'Holds the API token state of every configured portal.'
);

/**
 * The token manager's type, under the name of its service token.
 */
export type IPortalTokenManager = PortalTokenManager;
