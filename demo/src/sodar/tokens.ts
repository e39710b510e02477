/**
 * SODAR API tokens as django-rest-knox 5 keeps them: 64 hex characters, of which the portal
 * stores only a SHA-512 digest and the first 15 characters (`token_key`) to find it again.
 *
 * A user may hold several tokens (the web UI adds one at a time); the REST login deletes
 * them all before creating its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { IDemoClock, realClock } from '../clock';

/** Length of the `token_key` prefix knox 5 keeps (older releases: 8). */
export const TOKEN_KEY_LENGTH = 15;

/** The longest label SODAR accepts (`TOKEN_LABEL_MAX_LENGTH`). */
export const TOKEN_LABEL_MAX_LENGTH = 256;

/** What the portal keeps about a token: never the secret itself. */
export interface ISodarTokenInfo {
  /** The row id (the web UI deletes by it). */
  readonly id: number;
  /** The owner's user id. */
  readonly userId: number;
  /** The first 15 characters of the token, for identification. */
  readonly tokenKey: string;
  /** When it was created. */
  readonly created: Date;
  /** When it stops working; null for never. */
  readonly expiry: Date | null;
  /** The optional label (`sodar_label`), '' when none. */
  readonly label: string;
}

/** A freshly created token: the only time the secret exists outside the client. */
export interface ISodarNewToken {
  /** 64 hex characters. */
  readonly token: string;
  /** What is kept about it. */
  readonly info: ISodarTokenInfo;
}

/** Creates, checks and deletes SODAR tokens. */
export class SodarTokenStore {
  /** Creates a store; `clock` gives the time and the tokens' bytes (the real ones by default). */
  constructor(options: SodarTokenStore.IOptions = {}) {
    this._clock = options.clock ?? realClock;
  }

  /** The user's tokens, oldest first (expired ones included until used or listed away). */
  list(userId: number): ISodarTokenInfo[] {
    return [...this._tokens.values()]
      .filter(record => record.userId === userId)
      .sort((a, b) => a.id - b.id)
      .map(Private.info);
  }

  /**
   * Adds a token for the user, keeping the others (the web UI's "Create Token").
   * `expiryHours` 0 or absent: never expires; negative: already expired, as in SODAR.
   */
  create(
    userId: number,
    options: { expiryHours?: number; label?: string } = {}
  ): ISodarNewToken {
    const created = this._clock.now();
    const hours = options.expiryHours ?? 0;
    const expiry = hours
      ? new Date(created.getTime() + hours * Private.HOUR)
      : null;
    let token: string;
    do {
      token = this._clock.randomBytes('sodar-token', 32).toString('hex');
    } while (this._tokens.has(Private.digest(token)));
    const record: Private.IRecord = {
      id: this._nextId++,
      userId,
      tokenKey: token.slice(0, TOKEN_KEY_LENGTH),
      digest: Private.digest(token),
      created,
      expiry,
      label: options.label ?? ''
    };
    this._tokens.set(record.digest, record);
    return { token, info: Private.info(record) };
  }

  /**
   * Deletes every token of the user, then creates one (the REST login).
   * Resolves the new token and how many were deleted.
   */
  replaceAll(
    userId: number,
    options: { expiryHours?: number; label?: string } = {}
  ): ISodarNewToken & { deleteCount: number } {
    const deleteCount = this.deleteAll(userId);
    return { ...this.create(userId, options), deleteCount };
  }

  /** Deletes one of the user's tokens by id; false when the user has no such token. */
  delete(userId: number, id: number): boolean {
    for (const [digest, record] of this._tokens) {
      if (record.id === id && record.userId === userId) {
        this._tokens.delete(digest);
        return true;
      }
    }
    return false;
  }

  /** Deletes every token of the user; the number deleted. */
  deleteAll(userId: number): number {
    let count = 0;
    for (const [digest, record] of this._tokens) {
      if (record.userId === userId) {
        this._tokens.delete(digest);
        count++;
      }
    }
    return count;
  }

  /** Makes every token of the user expire now (test hook); how many there were. */
  expire(userId: number): number {
    const past = new Date(this._clock.now().getTime() - 1000);
    let count = 0;
    for (const record of this._tokens.values()) {
      if (record.userId === userId) {
        record.expiry = past;
        count++;
      }
    }
    return count;
  }

  /** Forgets every token. */
  clear(): void {
    this._tokens.clear();
  }

  /**
   * Checks a presented token the way knox does: candidates by `token_key`, expired ones
   * deleted on the way, then the digest compared in constant time.
   */
  check(raw: string): { ok: true; userId: number } | { ok: false } {
    const key = raw.slice(0, TOKEN_KEY_LENGTH);
    const digest = Private.digest(raw);
    const now = this._clock.now().getTime();
    for (const [stored, record] of [...this._tokens]) {
      if (record.tokenKey !== key) {
        continue;
      }
      if (record.expiry && record.expiry.getTime() < now) {
        this._tokens.delete(stored);
        continue;
      }
      const a = Buffer.from(stored, 'hex');
      const b = Buffer.from(digest, 'hex');
      if (a.length === b.length && timingSafeEqual(a, b)) {
        return { ok: true, userId: record.userId };
      }
    }
    return { ok: false };
  }

  private _clock: IDemoClock;
  private _nextId = 1;
  private _tokens = new Map<string, Private.IRecord>();
}

/** Types for {@link SodarTokenStore}. */
export namespace SodarTokenStore {
  /** Construction options. */
  export interface IOptions {
    /** The clock and the tokens' bytes; the real ones by default. */
    clock?: IDemoClock;
  }
}

namespace Private {
  export const HOUR = 60 * 60 * 1000;

  export interface IRecord {
    id: number;
    userId: number;
    tokenKey: string;
    digest: string;
    created: Date;
    expiry: Date | null;
    label: string;
  }

  export function info(record: IRecord): ISodarTokenInfo {
    return {
      id: record.id,
      userId: record.userId,
      tokenKey: record.tokenKey,
      created: record.created,
      expiry: record.expiry,
      label: record.label
    };
  }

  /** knox's `hash_token`: SHA-512 over the token's bytes (hex-decoded when it is hex). */
  export function digest(token: string): string {
    const bytes = /^(?:[0-9a-fA-F]{2})+$/.test(token)
      ? Buffer.from(token, 'hex')
      : Buffer.from(token, 'utf8');
    return createHash('sha512').update(bytes).digest('hex');
  }
}
