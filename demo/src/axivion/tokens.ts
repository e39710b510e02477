/**
 * Axivion Dashboard API tokens: many per user, each with an id, a type, a description and an
 * expiry. The dashboard keeps only a digest of the secret.
 *
 * Follows /work/shared/PORTALS.md (Axivion section) and the seed's `ApiTokenInfo`:
 * - expired tokens stay as tombstones (`isValid: false`) until they are deleted: the seed says
 *   expired tokens "will be invalidated or deleted on the server depending on their type", and
 *   for the creatable types the demo invalidates;
 * - deleted tokens are gone: no longer listed, unknown to `GET /api/tokens/{id}` (the seed's
 *   DELETE "deletes an existing API Token"; nothing says it is kept).
 */
import { createHash } from 'node:crypto';

import { IDemoClock, realClock } from '../clock';

/** Every token type the dashboard knows (the seed's `ApiTokenType`). */
export const API_TOKEN_TYPES = Object.freeze([
  'General',
  'IdePlugin',
  'SourceFetch',
  'LogIn',
  'ContinuousIntegration'
] as const);

/** A token type. */
export type ApiTokenType = (typeof API_TOKEN_TYPES)[number];

/** The types a client may create over the API (not `SourceFetch`, not `LogIn`). */
export const CREATABLE_TOKEN_TYPES: readonly ApiTokenType[] = Object.freeze([
  'General',
  'IdePlugin',
  'ContinuousIntegration'
]);

/** What the dashboard keeps about a token: never the secret itself. */
export interface IAxivionToken {
  /** The token id (opaque, URL-safe). */
  readonly id: string;
  /** The owner's user name. */
  readonly username: string;
  /** The type chosen at creation. */
  readonly type: ApiTokenType;
  /** The description given at creation. */
  readonly description: string;
  /** When it was created. */
  readonly createdAt: Date;
  /** When it expires (or expired). */
  expiresAt: Date;
  /** When it last authenticated a request; null until then. */
  lastUsedAt: Date | null;
}

/** A freshly created token: the only time its secret exists outside the client. */
export interface INewAxivionToken {
  /** The stored record. */
  readonly record: IAxivionToken;
  /** The secret. */
  readonly secret: string;
}

/** The outcome of checking a presented secret. */
export type AxivionTokenCheck =
  | { readonly ok: true; readonly record: IAxivionToken }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

/** Creates, finds, checks, expires and deletes Axivion API tokens. */
export class AxivionTokenStore {
  /** Creates an empty store. */
  constructor(options: AxivionTokenStore.IOptions = {}) {
    this._clock = options.clock ?? realClock;
  }

  /** Creates a token for `username` that lives `maxAgeMs`. */
  create(
    username: string,
    options: { type: ApiTokenType; description: string; maxAgeMs: number }
  ): INewAxivionToken {
    // 32 random bytes, base64url: an opaque secret (the seed does not give a format).
    const secret = this._clock
      .randomBytes('axivion-token', 32)
      .toString('base64url');
    let id = this._newId();
    while (this._byId.has(id)) {
      id = this._newId();
    }
    const createdAt = this._clock.now();
    const record: IAxivionToken = {
      id,
      username,
      type: options.type,
      description: options.description,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + options.maxAgeMs),
      lastUsedAt: null
    };
    const digest = Private.digest(secret);
    this._byId.set(id, { record, digest });
    this._byDigest.set(digest.toString('hex'), id);
    return { record, secret };
  }

  /** Checks a presented secret, optionally for one owner only, without counting a use. */
  check(secret: string, username?: string): AxivionTokenCheck {
    const id = this._byDigest.get(Private.digest(secret).toString('hex'));
    const entry = id ? this._byId.get(id) : undefined;
    if (
      !entry ||
      (username !== undefined && entry.record.username !== username)
    ) {
      return { ok: false, reason: 'unknown' };
    }
    if (!this.isValid(entry.record)) {
      return { ok: false, reason: 'expired' };
    }
    return { ok: true, record: entry.record };
  }

  /**
   * Checks a presented secret (HTTP Basic names the owner; `AxToken` does not). A good one
   * gets `lastUsedAt` set: it authenticates the request.
   */
  authenticate(secret: string, username?: string): AxivionTokenCheck {
    const check = this.check(secret, username);
    if (check.ok) {
      check.record.lastUsedAt = this._clock.now();
    }
    return check;
  }

  /** Whether a token can still authenticate (not expired). */
  isValid(record: IAxivionToken): boolean {
    return this._clock.now().getTime() < record.expiresAt.getTime();
  }

  /** The token with this id, if it exists (valid or a tombstone). */
  get(id: string): IAxivionToken | undefined {
    return this._byId.get(id)?.record;
  }

  /** A user's tokens, oldest first, tombstones included. */
  list(username: string): IAxivionToken[] {
    return [...this._byId.values()]
      .map(entry => entry.record)
      .filter(record => record.username === username);
  }

  /** Deletes a token of `username`; false when there is none (or it is someone else's). */
  delete(id: string, username: string): boolean {
    const entry = this._byId.get(id);
    if (!entry || entry.record.username !== username) {
      return false;
    }
    this._byId.delete(id);
    this._byDigest.delete(entry.digest.toString('hex'));
    return true;
  }

  /**
   * Makes tokens expire now (test hook): all valid tokens of a user, or one by id.
   * Resolves how many expired.
   */
  expire(filter: { username?: string; id?: string }): number {
    const past = new Date(this._clock.now().getTime() - 1000);
    let count = 0;
    for (const { record } of this._byId.values()) {
      if (
        (filter.id === undefined || record.id === filter.id) &&
        (filter.username === undefined ||
          record.username === filter.username) &&
        this.isValid(record)
      ) {
        record.expiresAt = past;
        count += 1;
      }
    }
    return count;
  }

  /** Forgets every token. */
  clear(): void {
    this._byId.clear();
    this._byDigest.clear();
  }

  /** A new opaque token id. */
  private _newId(): string {
    return this._clock.randomBytes('axivion-id', 9).toString('base64url');
  }

  private _clock: IDemoClock;
  private _byId = new Map<string, { record: IAxivionToken; digest: Buffer }>();
  private _byDigest = new Map<string, string>();
}

/** Types for {@link AxivionTokenStore}. */
export namespace AxivionTokenStore {
  /** Construction options. */
  export interface IOptions {
    /** The clock and the secrets' bytes; the real ones by default. */
    clock?: IDemoClock;
  }
}

namespace Private {
  /**
   * SHA-256 of the secret. The secrets are 256 random bits, so a fast digest is enough
   * (unlike passwords), and it lets the store find a token by its secret.
   */
  export function digest(secret: string): Buffer {
    return createHash('sha256').update(secret, 'utf8').digest();
  }
}
