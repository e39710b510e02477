/**
 * The portals' clock and the randomness of their token material, in one place, so that one
 * setting can hold both still: `DEMO_FIXED_CLOCK` (`make screenshots`) stops the clock at an
 * instant and deals the same secrets on every run, so the README's pictures come out the same.
 * Without it: the real clock and `crypto.randomBytes`.
 *
 * Sign-in sessions, CSRF tokens, lockouts and JupyterLab's secret keep the real ones: they
 * never show, and a lockout or a CSRF token must run out in real time.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** What the portal modules ask for the time and for the bytes of secrets and ids. */
export interface IDemoClock {
  /** The time now. */
  now(): Date;
  /** `size` bytes for one kind of secret or id, e.g. `xdmod-token`. */
  randomBytes(stream: string, size: number): Buffer;
  /** Deals every kind from its start again (the reset hook), so each test gets the same. */
  reset(): void;
}

/** The real clock and `crypto.randomBytes`: the demo's default. */
export const realClock: IDemoClock = Object.freeze({
  now: () => new Date(),
  randomBytes: (_stream: string, size: number) => randomBytes(size),
  reset: () => undefined
});

/**
 * A clock that stands at `instant`, and bytes from HMAC-SHA256 of a fixed, public seed over
 * a counter per kind: the same secrets, in the same order, on every run. For pictures only.
 */
export function fixedClock(instant: Date): IDemoClock {
  return new Private.FixedClock(instant);
}

/**
 * Reads `DEMO_FIXED_CLOCK`: an ISO 8601 instant with its zone, e.g. `2030-06-03T09:30:00Z`
 * (a local time would depend on the machine). Throws on anything else.
 */
export function parseInstant(text: string): Date {
  const date = new Date(text);
  if (!Private.ISO_INSTANT.test(text) || Number.isNaN(date.getTime())) {
    throw new Error(
      `DEMO_FIXED_CLOCK must be an instant such as 2030-06-03T09:30:00Z, not "${text}".`
    );
  }
  return date;
}

namespace Private {
  export const ISO_INSTANT =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

  /** Public on purpose: these secrets only ever unlock the demo's pictures. */
  const SEED = 'jupyterlab-portal-token demo, fixed clock';

  export class FixedClock implements IDemoClock {
    constructor(instant: Date) {
      this._time = instant.getTime();
    }

    now(): Date {
      return new Date(this._time);
    }

    randomBytes(stream: string, size: number): Buffer {
      const count = this._counts.get(stream) ?? 0;
      this._counts.set(stream, count + 1);
      const blocks: Buffer[] = [];
      for (let block = 0; block * 32 < size; block++) {
        blocks.push(
          createHmac('sha256', SEED)
            .update(`${stream}\n${count}\n${block}`)
            .digest()
        );
      }
      return Buffer.concat(blocks).subarray(0, size);
    }

    reset(): void {
      this._counts.clear();
    }

    private _time: number;
    private _counts = new Map<string, number>();
  }
}
