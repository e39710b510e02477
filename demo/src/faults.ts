/**
 * Fault injection for tests: make one route fail, hang or answer garbage on demand.
 *
 * Only reachable when the portal runs with `testHooks` (CLI: `DEMO_TEST_HOOKS=1`).
 */
import type { ServerResponse } from 'node:http';

import type { IRequestContext } from './http';

/** One injected fault. */
export interface IFault {
  /**
   * `"<METHOD> <path>"`, e.g. `"DELETE /rest/users/current/api/token"`.
   * The owning portal normalises paths (XDMoD drops its `/v1` version prefix), so one
   * fault covers every spelling of a route.
   */
  route: string;
  /** Answer with this status and the portal's error body instead of running the route. */
  status?: number;
  /** The error message; the portal's own message for that route and status by default. */
  message?: string;
  /** Wait this long first (then fail as told, or run the route normally). */
  hangMs?: number;
  /** Answer 200 with a truncated JSON body. */
  malformed?: boolean;
  /** How many requests the fault applies to; unlimited when absent. */
  times?: number;
}

/** Rewrites a path to its canonical spelling (e.g. without a version prefix). */
export type PathNormalizer = (path: string) => string;

/** The faults currently armed, by route. */
export class FaultRegistry {
  /** Lets a portal module declare its path aliases, applied to faults and requests alike. */
  addNormalizer(normalizer: PathNormalizer): void {
    this._normalizers.push(normalizer);
  }

  /** Arms a fault (replacing any other on the same route). Throws on a malformed fault. */
  add(fault: IFault): IFault {
    const checked = Private.validate(fault);
    const [method, path] = checked.route.split(' ');
    checked.route = this._key(method, path);
    this._faults.set(checked.route, checked);
    return { ...checked };
  }

  /** Disarms every fault. */
  clear(): void {
    this._faults.clear();
  }

  /** The armed faults. */
  list(): IFault[] {
    return [...this._faults.values()].map(fault => ({ ...fault }));
  }

  /** The fault for a request, counting one use of it; undefined when none is armed. */
  take(method: string, path: string): IFault | undefined {
    if (!this._faults.size) {
      return undefined;
    }
    const route = this._key(method, path);
    const fault = this._faults.get(route);
    if (!fault) {
      return undefined;
    }
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) {
        this._faults.delete(route);
      }
    }
    return { ...fault };
  }

  private _key(method: string, path: string): string {
    const canonical = this._normalizers.reduce(
      (p, normalize) => normalize(p),
      path
    );
    return `${method.toUpperCase()} ${canonical}`;
  }

  private _faults = new Map<string, IFault>();
  private _normalizers: PathNormalizer[] = [];
}

/** Waits `ms`, or less if `signal` fires first (the client went away or the portal closes). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** How a portal answers a fault in its own words. */
export interface IFaultReplies {
  /** Answers garbage: a truncated JSON body, with the fault's status if it gives one. */
  malformed(context: IRequestContext, status: number | undefined): void;
  /** Answers the portal's error for `status`; `message` is the fault's own, if it gives one. */
  error(
    context: IRequestContext,
    status: number,
    message: string | undefined
  ): void;
}

/**
 * Runs a fault: wait, then answer garbage or an error, or let the route run.
 * Resolves true when the route must not run (the fault answered, or the client left).
 */
export async function applyFault(
  context: IRequestContext,
  fault: IFault,
  replies: IFaultReplies
): Promise<boolean> {
  const { req, res } = context;
  if (fault.hangMs) {
    const gone = new AbortController();
    const abort = () => gone.abort();
    res.once('close', abort);
    await delay(fault.hangMs, gone.signal);
    res.off('close', abort);
    if (gone.signal.aborted || res.destroyed) {
      return true;
    }
  }
  if (fault.malformed) {
    replies.malformed(context, fault.status);
    return true;
  }
  if (fault.status !== undefined) {
    // Drain the body so the client sees the answer rather than a reset.
    req.resume();
    replies.error(context, fault.status, fault.message);
    return true;
  }
  return false;
}

/** Sends `body` as it is: for a fault's truncated JSON. */
export function sendTruncated(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'application/json'
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body)
  });
  res.end(body);
}

namespace Private {
  /** Checks a fault received over HTTP. */
  export function validate(input: IFault): IFault {
    if (!input || typeof input !== 'object') {
      throw new Error('A fault must be a JSON object.');
    }
    const match = /^([A-Z]+) (\/\S*)$/.exec(String(input.route ?? '').trim());
    if (!match) {
      throw new Error(
        '"route" must look like "DELETE /rest/users/current/api/token".'
      );
    }
    const fault: IFault = { route: `${match[1]} ${match[2]}` };
    if (input.status !== undefined) {
      if (
        !Number.isInteger(input.status) ||
        input.status < 200 ||
        input.status > 599
      ) {
        throw new Error('"status" must be an HTTP status code.');
      }
      fault.status = input.status;
    }
    if (input.message !== undefined) {
      fault.message = String(input.message);
    }
    if (input.hangMs !== undefined) {
      if (!Number.isFinite(input.hangMs) || input.hangMs < 0) {
        throw new Error('"hangMs" must be a number of milliseconds.');
      }
      fault.hangMs = input.hangMs;
    }
    if (input.malformed !== undefined) {
      fault.malformed = Boolean(input.malformed);
    }
    if (input.times !== undefined) {
      if (!Number.isInteger(input.times) || input.times < 1) {
        throw new Error('"times" must be a positive integer.');
      }
      fault.times = input.times;
    }
    if (
      fault.status === undefined &&
      fault.hangMs === undefined &&
      !fault.malformed
    ) {
      throw new Error('A fault needs "status", "hangMs" or "malformed".');
    }
    return fault;
  }
}
