/**
 * XDMoD API tokens: one per user, `<userId>.<64 hex>`, stored only as a slow salted hash.
 */
import { scrypt, timingSafeEqual } from 'node:crypto';

import { IDemoClock, realClock } from '../clock';
import { addInterval, IInterval } from '../dates';

/** What the portal keeps about a token: never the secret itself. */
export interface IStoredToken {
  /** The owner's user id. */
  readonly userId: number;
  /** When it was created. */
  readonly createdOn: Date;
  /** When it stops working. */
  expiresOn: Date;
}

/** A freshly created token: the only time the secret exists outside the client. */
export interface INewToken {
  /** `<userId>.<64 hex>`. */
  readonly token: string;
  /** When it stops working. */
  readonly expiresOn: Date;
}

/** The outcome of checking a presented API token. */
export type TokenCheck =
  | { readonly ok: true; readonly userId: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/** Creates, checks and revokes XDMoD API tokens. */
export class XdmodTokenStore {
  /** Creates a store whose tokens live for `lifetime`. */
  constructor(options: XdmodTokenStore.IOptions) {
    this._lifetime = options.lifetime;
    this._clock = options.clock ?? realClock;
  }

  /** The user's token record, expired or not. */
  get(userId: number): IStoredToken | undefined {
    const record = this._tokens.get(userId);
    return record
      ? {
          userId,
          createdOn: record.createdOn,
          expiresOn: record.expiresOn
        }
      : undefined;
  }

  /**
   * Creates the user's token; null when one exists (even an expired one, as in XDMoD:
   * the user must revoke it first).
   */
  async create(userId: number): Promise<INewToken | null> {
    if (this._tokens.has(userId)) {
      return null;
    }
    const secret = this._clock.randomBytes('xdmod-token', 32).toString('hex');
    const salt = this._clock.randomBytes('xdmod-salt', 16);
    const hash = await Private.hash(secret, salt);
    // Checked again after the await: a concurrent request may have won the race.
    if (this._tokens.has(userId)) {
      return null;
    }
    const createdOn = this._clock.now();
    const expiresOn = addInterval(createdOn, this._lifetime);
    this._tokens.set(userId, { salt, hash, createdOn, expiresOn });
    return { token: `${userId}.${secret}`, expiresOn };
  }

  /** Revokes the user's token; false when there was none. */
  revoke(userId: number): boolean {
    return this._tokens.delete(userId);
  }

  /** Makes the user's token expire now (test hook); false when there is none. */
  expire(userId: number): boolean {
    const record = this._tokens.get(userId);
    if (!record) {
      return false;
    }
    record.expiresOn = new Date(this._clock.now().getTime() - 1000);
    return true;
  }

  /** Forgets every token. */
  clear(): void {
    this._tokens.clear();
  }

  /**
   * Checks a presented token in XDMoD's order: unknown user or no token → invalid;
   * expired → expired (before the secret is checked); wrong secret → invalid.
   */
  async check(raw: string): Promise<TokenCheck> {
    const index = raw.indexOf('.');
    if (index <= 0 || raw.length > 512) {
      return { ok: false, reason: 'invalid' };
    }
    const idText = raw.slice(0, index);
    const secret = raw.slice(index + 1);
    if (!/^[0-9]+$/.test(idText)) {
      return { ok: false, reason: 'invalid' };
    }
    const userId = Number(idText);
    const record = this._tokens.get(userId);
    if (!record) {
      return { ok: false, reason: 'invalid' };
    }
    if (record.expiresOn.getTime() < this._clock.now().getTime()) {
      return { ok: false, reason: 'expired' };
    }
    const hash = await Private.hash(secret, record.salt);
    // The record may have been revoked (or replaced) while hashing.
    if (this._tokens.get(userId) !== record) {
      return { ok: false, reason: 'invalid' };
    }
    return timingSafeEqual(hash, record.hash)
      ? { ok: true, userId }
      : { ok: false, reason: 'invalid' };
  }

  private _lifetime: IInterval;
  private _clock: IDemoClock;
  private _tokens = new Map<
    number,
    { salt: Buffer; hash: Buffer; createdOn: Date; expiresOn: Date }
  >();
}

/** Types for {@link XdmodTokenStore}. */
export namespace XdmodTokenStore {
  /** Construction options. */
  export interface IOptions {
    /** How long a token lives (XDMoD's `[api_token] expiration_interval`). */
    lifetime: IInterval;
    /** The clock and the secrets' bytes; the real ones by default. */
    clock?: IDemoClock;
  }
}

namespace Private {
  /** The key length of the stored hash. */
  const KEY_LENGTH = 32;

  /** scrypt with Node's defaults (N=16384, r=8, p=1): deliberately slow, like bcrypt. */
  export function hash(secret: string, salt: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      scrypt(secret, salt, KEY_LENGTH, (error, key) =>
        error ? reject(error) : resolve(key)
      );
    });
  }
}
