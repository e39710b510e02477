/**
 * What the portal clients' tests share: the demo portal they talk to and its test hooks, how
 * a call must fail, and a port nobody listens on. Not a test file (jest runs `*.test.ts`).
 */
import { createServer } from 'node:net';
import {
  IPortalOptions,
  IRunningPortal,
  startPortal
} from '../../../demo/src/server';
import type { IPortalConfig } from '../../tokens';
import { PortalError } from '../errors';
import type { IFetchOptions } from '../http';

/** Starts the demo portal in-process: a free port, no JupyterLab, no log lines. */
export function startDemo(
  options: IPortalOptions = {}
): Promise<IRunningPortal> {
  return startPortal({
    port: 0,
    jupyter: false,
    logger: 'silent',
    ...options
  });
}

/** Calls `POST /__demo__/<path>` of the demo portal at `server` and expects it to succeed. */
export async function demoHook(
  server: string,
  path: string,
  body: unknown
): Promise<void> {
  const response = await fetch(new URL(`__demo__/${path}`, server), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
  expect(response.ok).toBe(true);
}

/** Arms a fault on the demo portal at `server`. */
export function armFault(
  server: string,
  fault: Record<string, unknown>
): Promise<void> {
  return demoHook(server, 'faults', fault);
}

/** Forgets the demo portal's tokens and faults between tests. */
export async function resetDemo(server: string): Promise<void> {
  await fetch(new URL('__demo__/reset', server), { method: 'POST' });
}

/** A portal client class, with the kernel variables it sets by default. */
export interface IClientClass<T> {
  new (config: IPortalConfig, options?: IFetchOptions): T;
  readonly ENV_VARS: Record<string, string>;
}

/**
 * Makes clients of one portal kind for the tests: the portal at `base`, Node's fetch unless
 * another is given, the default timeout unless another is given.
 */
export function clientMaker<T>(
  Client: IClientClass<T>,
  kind: string,
  label: string
): (base: string, fetchImpl?: typeof fetch, timeoutMs?: number) => T {
  return (base, fetchImpl, timeoutMs) =>
    new Client(
      { id: kind, kind, label, url: base, envVars: Client.ENV_VARS },
      { fetch: fetchImpl, timeoutMs }
    );
}

/** The PortalError a call fails with; fails the test when it succeeds or throws anything else. */
export async function rejection(
  promise: Promise<unknown>
): Promise<PortalError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortalError);
    return error as PortalError;
  }
  throw new Error('expected the call to fail');
}

/** A port on 127.0.0.1 that nothing listens on (a connection is refused). */
export function closedPort(): Promise<number> {
  return new Promise<number>(resolve => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
