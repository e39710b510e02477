/**
 * The dashboard's CSRF tokens: handed out in the dashboard info document, required on every
 * request other than GET/HEAD/OPTIONS, bound to the user and expiring.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What checking a presented CSRF token found. */
export type CsrfVerdict = 'ok' | 'invalid' | 'expired';

/** Issues and checks CSRF tokens: `<issued ms>.<HMAC(user, issued)>`, bound to the user, expiring. */
export class CsrfTokens {
  /** Creates the issuer, with a secret of its own. */
  constructor(options: CsrfTokens.IOptions) {
    this._lifetimeMs = options.lifetimeMs;
  }

  /** A new token for `username`. */
  issue(username: string): string {
    const issued = String(Date.now());
    return `${issued}.${this._signature(username, issued)}`;
  }

  /** Whether `token` was issued to `username` and is still good. */
  verify(token: string, username: string): CsrfVerdict {
    const match = /^([0-9]{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) {
      return 'invalid';
    }
    const expected = Buffer.from(this._signature(username, match[1]));
    const given = Buffer.from(match[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return 'invalid';
    }
    const issued = Number(match[1]);
    if (issued < this._notBefore || Date.now() >= issued + this._lifetimeMs) {
      return 'expired';
    }
    return 'ok';
  }

  /** Every token handed out so far counts as expired from now on (test hook). */
  expireAll(): void {
    this._notBefore = Date.now() + 1;
  }

  /** Undoes {@link expireAll}: tokens expire by their lifetime only. */
  reset(): void {
    this._notBefore = 0;
  }

  private _signature(username: string, issued: string): string {
    return createHmac('sha256', this._secret)
      .update(`${username}\n${issued}`)
      .digest('base64url');
  }

  private _secret = randomBytes(32);
  private _lifetimeMs: number;
  private _notBefore = 0;
}

/** Types for {@link CsrfTokens}. */
export namespace CsrfTokens {
  /** Construction options. */
  export interface IOptions {
    /** How long a token is accepted (ms). */
    lifetimeMs: number;
  }
}
