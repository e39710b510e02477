/**
 * Why a portal call failed, in terms a view can explain.
 */
export type PortalErrorReason =
  | 'signed-out'
  | 'bad-credentials'
  | 'locked'
  | 'invalid'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'server'
  | 'bad-response'
  | 'network'
  | 'timeout'
  | 'relay'
  | 'no-relay';

/*
 * `bad-credentials`: the username or password typed into the panel was refused.
 * `locked`: the portal locked the account after failed sign-ins.
 * `invalid`: the portal refused what was asked (e.g. a label too long); `portalMessage` says why.
 * `relay`: the Jupyter server's relay refused or failed the call; `portalMessage` is its reason.
 * `no-relay`: the portal is on another origin and the Jupyter server has no relay to reach it.
 */

/**
 * A failed portal call. Carries the portal's own message (as text, never as HTML).
 */
export class PortalError extends Error {
  constructor(options: PortalError.IOptions) {
    super(options.portalMessage || options.reason);
    this.name = 'PortalError';
    this.reason = options.reason;
    this.status = options.status;
    this.portalMessage = options.portalMessage;
  }

  /** What kind of failure this is. */
  readonly reason: PortalErrorReason;
  /** The HTTP status, when the portal answered. */
  readonly status?: number;
  /** The portal's own explanation, if it gave one. */
  readonly portalMessage?: string;
}

/**
 * The PortalError namespace.
 */
export namespace PortalError {
  /** Options of a PortalError. */
  export interface IOptions {
    reason: PortalErrorReason;
    status?: number;
    portalMessage?: string;
  }

  /** Map an HTTP status to a reason. */
  export function reasonFor(status: number): PortalErrorReason {
    switch (status) {
      case 401:
        return 'signed-out';
      case 403:
        return 'forbidden';
      case 404:
        return 'not-found';
      case 409:
        return 'conflict';
      default:
        return status >= 500 ? 'server' : 'bad-response';
    }
  }
}
