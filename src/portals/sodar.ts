import type {
  ICreatedToken,
  ICreateOptions,
  IPortalCapabilities,
  IPortalClient,
  IPortalConfig,
  IPortalStatus
} from '../tokens';
import { PortalError } from './errors';
import {
  basicAuthorization,
  IFetchOptions,
  IPortalResponse,
  portalFetch
} from './http';
import { SODAR_ENV_VARS } from './variables';

/**
 * What SODAR's token API can do: create only, and every creation deletes all of the user's
 * other tokens. Listing and deleting happen on the portal's own token page.
 */
const SODAR_CAPABILITIES: IPortalCapabilities = {
  credentials: 'per-create',
  create: true,
  list: false,
  revoke: false,
  bulkRevoke: false,
  singleToken: false,
  replacesAll: true,
  label: true,
  labelMaxLength: 256,
  lifetime: true,
  zeroLifetime: 'never',
  needsPassword: true,
  types: []
};

/**
 * A client for SODAR Core's token login (`POST tokens/api/login`), authenticated with the
 * user's name and password for that one request.
 */
export class SodarClient implements IPortalClient {
  constructor(config: IPortalConfig, options: IFetchOptions = {}) {
    this.config = config;
    this._fetchOptions = options;
    this._route = new URL('tokens/api/login', config.url).href;
  }

  readonly config: IPortalConfig;
  readonly capabilities = SodarClient.CAPABILITIES;

  get signInUrl(): string {
    return new URL('login', this.config.url).href;
  }

  get manageUrl(): string {
    return new URL('tokens/list', this.config.url).href;
  }

  /** SODAR's API cannot list tokens, so there is nothing to ask. */
  async status(): Promise<IPortalStatus> {
    return { signedIn: true, available: true, tokens: [] };
  }

  async create(options: ICreateOptions = {}): Promise<ICreatedToken> {
    const { username, password, label, lifetimeHours } = options;
    if (!username || !password) {
      throw new PortalError({ reason: 'bad-credentials' });
    }
    if (
      lifetimeHours !== undefined &&
      (!Number.isSafeInteger(lifetimeHours) || lifetimeHours < 0)
    ) {
      // SODAR would take a negative number and hand out an already expired token,
      // after deleting all the others.
      throw new PortalError({ reason: 'invalid' });
    }
    const body: Record<string, unknown> = {};
    if (lifetimeHours !== undefined) {
      body.expiry = lifetimeHours;
    }
    if (label) {
      body.sodar_label = label;
    }
    const requested = new Date();
    // The password lives in this request's header only; nothing keeps it.
    const response = await portalFetch(
      this._route,
      {
        method: 'POST',
        credentials: 'omit',
        headers: {
          Authorization: basicAuthorization(username, password),
          Accept: SodarClient.ACCEPT,
          'Content-Type': 'application/json'
        },
        body: JSON.stringify(body)
      },
      this._fetchOptions
    );
    if (response.status !== 201) {
      Private.fail(response);
    }
    const data = response.json;
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw new PortalError({ reason: 'bad-response', status: 201 });
    }
    const { token, expiry, sodar_label } = data as Record<string, unknown>;
    if (typeof token !== 'string' || !SodarClient.TOKEN_PATTERN.test(token)) {
      throw new PortalError({ reason: 'bad-response', status: 201 });
    }
    let expires: Date | null;
    if (expiry === null || expiry === undefined) {
      expires = null;
    } else {
      const parsed = SodarClient.parseDate(expiry);
      if (parsed) {
        expires = parsed;
      } else if (lifetimeHours) {
        // The token exists and the others are gone: an odd date must not lose it.
        expires = new Date(requested.getTime() + lifetimeHours * Private.HOUR);
      } else {
        throw new PortalError({ reason: 'bad-response', status: 201 });
      }
    }
    return {
      secret: token,
      label: typeof sodar_label === 'string' ? sodar_label : (label ?? ''),
      created: requested,
      expires,
      precision: 'second'
    };
  }

  /** Not offered: SODAR's API cannot delete a token (capabilities say `revoke: false`). */
  async revoke(): Promise<void> {
    throw new Error(
      'SODAR tokens cannot be revoked through its API; use the token page.'
    );
  }

  environment(secret: string): Record<string, string> {
    // sodar-cli strips trailing slashes itself, and its example URL keeps one.
    return { token: secret, url: this.config.url };
  }

  private _fetchOptions: IFetchOptions;
  private _route: string;
}

/**
 * The SodarClient namespace.
 */
export namespace SodarClient {
  /** What SODAR's token API can do. */
  export const CAPABILITIES = SODAR_CAPABILITIES;

  /** Default variable names by role: what sodar-cli reads. */
  export const ENV_VARS = SODAR_ENV_VARS;

  /** The versioned Accept header of SODAR Core's tokens API. */
  export const ACCEPT =
    'application/vnd.bihealth.sodar-core.tokens+json; version=1.0';

  /** A knox token: 64 hex characters. */
  export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

  /**
   * Parse SODAR's expiry: Python's `isoformat()` of an aware datetime, e.g.
   * `2026-11-20T16:04:05.123456+01:00` (microseconds optional; `Z` accepted too).
   * Null for anything else, including dates without an offset.
   */
  export function parseDate(value: unknown): Date | null {
    if (typeof value !== 'string') {
      return null;
    }
    const match =
      /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(
        value.trim()
      );
    if (!match) {
      return null;
    }
    const [year, month, day, hour, minute, second] = match
      .slice(1, 7)
      .map(part => parseInt(part, 10));
    const ms = parseInt((match[7] ?? '').padEnd(3, '0').slice(0, 3), 10);
    let offset = 0;
    if (match[8] !== 'Z') {
      const digits = match[8].replace(':', '');
      offset =
        (digits[0] === '-' ? -1 : 1) *
        (parseInt(digits.slice(1, 3), 10) * 60 + parseInt(digits.slice(3), 10));
    }
    const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    const check = new Date(Date.UTC(year, month - 1, day));
    if (
      check.getUTCMonth() !== month - 1 ||
      check.getUTCDate() !== day ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    ) {
      return null;
    }
    return new Date(utc - offset * 60000);
  }

  /**
   * The message of a DRF error body: `{"detail": "…"}`, a list of messages, or field errors
   * (`{"sodar_label": ["…"]}`); undefined when there is none.
   */
  export function messageOf(json: unknown): string | undefined {
    const texts: string[] = [];
    const collect = (value: unknown) => {
      if (typeof value === 'string') {
        texts.push(value);
      } else if (Array.isArray(value)) {
        value.forEach(collect);
      } else if (value && typeof value === 'object') {
        Object.values(value).forEach(collect);
      }
    };
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const detail = (json as { detail?: unknown }).detail;
      if (typeof detail === 'string') {
        return detail;
      }
    }
    collect(json);
    return texts.length ? texts.join(' ') : undefined;
  }
}

namespace Private {
  export const HOUR = 60 * 60 * 1000;

  /** Throw the PortalError a refused token login stands for. */
  export function fail(response: IPortalResponse): never {
    const portalMessage = SodarClient.messageOf(response.json);
    const { status } = response;
    const reason =
      status === 401
        ? 'bad-credentials'
        : status === 403
          ? 'locked'
          : status === 400
            ? 'invalid'
            : PortalError.reasonFor(status);
    throw new PortalError({ reason, status, portalMessage });
  }
}
