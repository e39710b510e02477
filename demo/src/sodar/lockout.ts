/**
 * Account lockout after repeated failed sign-ins, as SODAR configures django-axes:
 * counted per user name (`AXES_LOCKOUT_PARAMETERS = ["username"]`), and the attempt that
 * reaches the limit is itself refused as locked (`AXES_LOCK_OUT_AT_FAILURE`).
 *
 * Unlike a default axes setup, a successful sign-in clears the count, and a lockout ends
 * after the cool-off time, so a person trying the demo is never locked out for good.
 */

/** Default number of failures that locks an account. */
export const DEFAULT_FAILURE_LIMIT = 5;

/** Default cool-off: how long a lockout lasts (and how long a failure is remembered). */
export const DEFAULT_COOLOFF_MS = 15 * 60 * 1000;

/** Counts failures per user name and says who is locked. */
export class SodarLockout {
  /** Creates the counter. */
  constructor(options: SodarLockout.IOptions = {}) {
    this._limit = options.failureLimit ?? DEFAULT_FAILURE_LIMIT;
    this._cooloff = options.cooloffMs ?? DEFAULT_COOLOFF_MS;
    this._now = options.now ?? (() => Date.now());
  }

  /** Whether the user name is locked out right now. */
  isLocked(username: string): boolean {
    return this._current(username).failures >= this._limit;
  }

  /** Records a failed attempt; true when this attempt locked the account. */
  fail(username: string): boolean {
    const entry = this._current(username);
    entry.failures += 1;
    entry.last = this._now();
    this._entries.set(username, entry);
    return entry.failures >= this._limit;
  }

  /** A successful sign-in clears the count. */
  succeed(username: string): void {
    this._entries.delete(username);
  }

  /** Forgets every failure and lockout. */
  clear(): void {
    this._entries.clear();
  }

  /** The live entry for a name; failures older than the cool-off are forgotten. */
  private _current(username: string): { failures: number; last: number } {
    const entry = this._entries.get(username);
    if (!entry || this._now() - entry.last >= this._cooloff) {
      this._entries.delete(username);
      return { failures: 0, last: 0 };
    }
    return entry;
  }

  private _limit: number;
  private _cooloff: number;
  private _now: () => number;
  private _entries = new Map<string, { failures: number; last: number }>();
}

/** Types for {@link SodarLockout}. */
export namespace SodarLockout {
  /** Construction options. */
  export interface IOptions {
    /** Failures that lock an account (`AXES_FAILURE_LIMIT`); 5 by default. */
    failureLimit?: number;
    /** How long a lockout lasts (`AXES_COOLOFF_TIME`); 15 minutes by default. */
    cooloffMs?: number;
    /** The clock in ms; `Date.now` by default. */
    now?: () => number;
  }
}
