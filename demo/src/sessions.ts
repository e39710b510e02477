/**
 * Portal sign-in sessions, in memory.
 *
 * A session has an id (the value of the session cookie, e.g. PHP's `PHPSESSID`) and a
 * separate session token (XDMoD's `xdmod_token`): both must be presented, as in XDMoD.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** One signed-in session. */
export interface ISession {
  /** The session cookie's value. */
  readonly id: string;
  /** The session token the portal hands to its own web client. */
  readonly token: string;
  /** The signed-in account's id. */
  readonly userId: number;
  /** When the session was opened (ms since the epoch). */
  readonly createdAt: number;
}

/** Opens, finds and closes sessions. */
export class SessionStore {
  /** Opens a new session for a user. */
  open(userId: number): ISession {
    const session: ISession = {
      id: Private.phpSessionId(),
      token: randomBytes(32).toString('hex'),
      userId,
      createdAt: Date.now()
    };
    this._sessions.set(session.id, session);
    return session;
  }

  /** The session with this id, if open. */
  get(id: string | undefined): ISession | undefined {
    return id ? this._sessions.get(id) : undefined;
  }

  /**
   * The session when both its id and its token are presented, otherwise undefined.
   */
  authenticate(
    id: string | undefined,
    token: string | undefined
  ): ISession | undefined {
    const session = this.get(id);
    if (!session || !token) {
      return undefined;
    }
    const expected = Buffer.from(session.token);
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return undefined;
    }
    return session;
  }

  /** Closes a session; unknown ids are ignored. */
  close(id: string | undefined): void {
    if (id) {
      this._sessions.delete(id);
    }
  }

  /** Closes every session. */
  clear(): void {
    this._sessions.clear();
  }

  private _sessions = new Map<string, ISession>();
}

namespace Private {
  const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

  /** 26 characters of [0-9a-v], like PHP's default session ids. */
  export function phpSessionId(): string {
    return Array.from(randomBytes(26), byte => ALPHABET[byte & 31]).join('');
  }
}
