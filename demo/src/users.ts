/**
 * The demo portal's accounts, in memory.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A portal account. */
export interface IDemoUser {
  /** Numeric user id; XDMoD puts it in front of the API token. */
  id: number;
  /** Sign-in name. */
  username: string;
  /** Password (demo accounts only: never use real credentials here). */
  password: string;
  /** Full name, as the portal shows it. */
  name: string;
}

/** The accounts every demo portal knows: `demo`/`demo` for people, `alice` for tests. */
export const DEFAULT_USERS: readonly IDemoUser[] = Object.freeze([
  { id: 17, username: 'demo', password: 'demo', name: 'Demo User' },
  { id: 42, username: 'alice', password: 'alice-password', name: 'Alice Doe' }
]);

/** Looks accounts up and checks passwords. */
export class UserDirectory {
  /** Creates a directory from the default accounts plus `extra` (which win on a name clash). */
  constructor(extra: readonly IDemoUser[] = []) {
    for (const user of [...DEFAULT_USERS, ...extra]) {
      this._byName.set(user.username, {
        user: { ...user },
        digest: Private.digest(user.password)
      });
    }
  }

  /** The account with this id, if any. */
  byId(id: number): IDemoUser | undefined {
    for (const { user } of this._byName.values()) {
      if (user.id === id) {
        return user;
      }
    }
    return undefined;
  }

  /** The account with this name, if any. */
  byName(username: string): IDemoUser | undefined {
    return this._byName.get(username)?.user;
  }

  /** The account when the password matches, otherwise null (compared in constant time). */
  verify(username: string, password: string): IDemoUser | null {
    const entry = this._byName.get(username);
    const given = Private.digest(password);
    if (!entry) {
      // Same work either way, so the answer time does not tell which names exist.
      timingSafeEqual(given, given);
      return null;
    }
    return timingSafeEqual(given, entry.digest) ? entry.user : null;
  }

  private _byName = new Map<string, { user: IDemoUser; digest: Buffer }>();
}

namespace Private {
  /** A fixed-length digest, so timingSafeEqual can compare passwords of any length. */
  export function digest(password: string): Buffer {
    return createHash('sha256').update(password, 'utf8').digest();
  }
}
