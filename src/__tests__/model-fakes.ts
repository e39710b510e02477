import { Signal } from '@lumino/signaling';
import { PortalError } from '../portals/errors';
import { XdmodClient } from '../portals/xdmod';
import type {
  ICreatedToken,
  IKernelInjectionStatus,
  IKernelInjector,
  IPortalClient,
  IPortalConfig,
  IPortalStatus,
  ITokenInfo
} from '../tokens';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Records what the model asks of the kernels (the real injector is tested in injection tests).
 */
export class RecordingInjector implements IKernelInjector {
  readonly changed: Signal<IKernelInjector, void> = new Signal(this);
  live = new Map<string, Record<string, string>>();
  /** Every call, in order: `set <id>` or `clear <id>`. */
  history: string[] = [];
  async set(id: string, variables: Record<string, string>): Promise<void> {
    this.history.push(`set ${id}`);
    this.live.set(id, variables);
  }
  async adopt(
    id: string,
    source: IKernelInjector.IAdoptOptions
  ): Promise<void> {
    this.history.push(`adopt ${id}`);
    this.live.set(id, await source.load());
  }
  check(): void {
    /* the real checks are tested with the injector */
  }
  async clear(id: string): Promise<void> {
    this.history.push(`clear ${id}`);
    this.live.delete(id);
  }
  status(id: string): IKernelInjectionStatus[] {
    return this.live.has(id)
      ? [
          {
            kernelId: 'k1',
            kernelName: 'python3',
            language: 'python',
            state: 'injected'
          }
        ]
      : [];
  }
  addSessionContext(): void {
    /* not needed here */
  }
}

/**
 * An in-memory single-token portal (the state machine's only neighbour besides the clock).
 * The real XDMoD client is tested against the demo portal in xdmod.test.ts.
 */
export class MemoryPortal implements IPortalClient {
  constructor(options: MemoryPortal.IOptions = {}) {
    this.config = {
      id: 'mem',
      kind: 'memory',
      label: 'Memory',
      url: 'http://portal.invalid/',
      envVars: { token: 'MEM_TOKEN', host: 'MEM_HOST' },
      ...options.config
    };
    this._secret = options.secret ?? (count => `secret-${count}-abcdefgh`);
  }

  readonly config: IPortalConfig;
  readonly capabilities = XdmodClient.CAPABILITIES;
  get signInUrl(): string {
    return this.config.url;
  }
  signedIn = true;
  lifetimeMs = 180 * DAY;
  token: ITokenInfo | null = null;
  fail: PortalError | null = null;
  calls: string[] = [];
  private _count = 0;
  private _secret: (count: number) => string;

  async status(): Promise<IPortalStatus> {
    this.calls.push('status');
    this._maybeFail();
    return {
      signedIn: this.signedIn,
      available: true,
      tokens: this.signedIn && this.token ? [this.token] : []
    };
  }

  async create(): Promise<ICreatedToken> {
    this.calls.push('create');
    this._maybeFail();
    if (this.token) {
      throw new PortalError({ reason: 'conflict', status: 409 });
    }
    const now = Date.now();
    this.token = {
      created: new Date(now),
      expires: new Date(now + this.lifetimeMs),
      precision: 'second'
    };
    this._count += 1;
    return { ...this.token, secret: this._secret(this._count) };
  }

  async revoke(): Promise<void> {
    this.calls.push('revoke');
    this._maybeFail();
    if (!this.token) {
      throw new PortalError({ reason: 'not-found', status: 404 });
    }
    this.token = null;
  }

  environment(secret: string): Record<string, string> {
    return { token: secret, host: 'http://portal.invalid' };
  }

  private _maybeFail(): void {
    if (this.fail) {
      throw this.fail;
    }
  }
}

/**
 * The MemoryPortal namespace.
 */
export namespace MemoryPortal {
  /**
   * Options of a MemoryPortal.
   */
  export interface IOptions {
    /** Replaces parts of the default config (`mem`, variables `MEM_TOKEN`/`MEM_HOST`). */
    config?: Partial<IPortalConfig>;
    /** The secret of the n-th token made (default `secret-<n>-abcdefgh`). */
    secret?: (count: number) => string;
  }
}
