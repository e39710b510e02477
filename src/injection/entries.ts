/**
 * What the injector keeps per source and per kernel, shared by the files of the injection (not
 * exported from the package): the sources' records, and the kernels with their connections.
 */
import type { Kernel } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import type { InjectionState } from '../tokens';

/**
 * One source's values: in the page (`variables`), or kept by the Jupyter server (`load`).
 */
export interface ISource {
  variables: Record<string, string> | null;
  names: string[];
  /** The server's version of the values, or `null` when it does not keep them. */
  version: string | null;
  load: (() => Promise<Record<string, string>>) | null;
  /** Kernels whose launch record was read already (a restart reads it again). */
  checked: WeakSet<KernelEntry>;
  /** The values once loaded (one request however many kernels need them). */
  loading?: Promise<Record<string, string>>;
}

/** Load a kept source's values once. */
export function loadOnce(source: ISource): Promise<Record<string, string>> {
  source.loading ??= source.load!().then(
    values => {
      source.variables = values;
      return values;
    },
    error => {
      source.loading = undefined;
      throw error;
    }
  );
  return source.loading;
}

/** A state without its kernel's identity. */
export interface IState {
  state: InjectionState;
  reason?: string;
}

/**
 * One kernel connection the injector follows.
 */
export class Link {
  constructor(
    readonly kernel: Kernel.IKernelConnection,
    readonly owned: boolean
  ) {}

  /** Requests sent over this link and not answered yet. */
  inFlight = 0;

  /** A re-injection after a restart is scheduled. */
  restartScheduled = false;

  /** When the connection was made. */
  readonly created = Date.now();

  /** A restart was seen and its re-injection has not been answered yet. */
  restarting = false;

  /** The session of a kernel process that said it is restarting, until another speaks. */
  oldProcess: string | null = null;

  /** The timer asking the kernel for `kernel_info` until a new process answers. */
  asking: ReturnType<typeof setInterval> | undefined = undefined;

  /** Stop waiting for a new process. */
  stopAsking(): void {
    clearInterval(this.asking);
    this.asking = undefined;
    this.oldProcess = null;
  }

  /**
   * Resolves when the connection is disposed or dead (for good), or next disconnected (it
   * may come back: later callers then wait for the next loss).
   */
  get lost(): Promise<undefined> {
    if (this._gone) {
      return Promise.resolve(undefined);
    }
    if (!this._lost) {
      this._lost = new PromiseDelegate<undefined>();
    }
    return this._lost.promise;
  }

  /** The connection is gone (`final`) or disconnected. */
  markLost(final: boolean): void {
    this._gone = this._gone || final;
    if (final) {
      this.stopAsking();
    }
    this._lost?.resolve(undefined);
    this._lost = null;
  }

  private _gone = false;
  private _lost: PromiseDelegate<undefined> | null = null;
}

/**
 * What the injector knows of one kernel (by id), whatever connections reach it.
 */
export class KernelEntry {
  constructor(
    readonly id: string,
    readonly name: string
  ) {}

  /** Connections to this kernel: widgets' and at most one of our own. */
  readonly links = new Set<Link>();
  /** Per source: the latest state. */
  readonly states = new Map<string, IState>();
  /** Per source: the latest injection, for `set` to wait on. */
  readonly tasks = new Map<string, Promise<void>>();
  /** Per source: the names the kernel holds (or is being sent). */
  readonly held = new Map<string, Set<string>>();
  /** Per source: the link the latest injection went over. */
  readonly lastLink = new Map<string, Link>();

  /** `language_info.name`, or the spec's language until the kernel answers; may be empty. */
  get language(): string {
    return this._language;
  }

  /** Resolves once a language is known. */
  get languageKnown(): Promise<void> {
    return this._languageKnown.promise;
  }

  /** The kernel itself said its language. */
  languageConfirmed = false;
  /** A `kernel.info` answer is awaited. */
  askingLanguage = false;

  setLanguage(language: string): void {
    this._language = language;
    this._languageKnown.resolve();
  }

  /** The connection to send over: a widget's when there is one (its user's order matters). */
  driver(): Link | undefined {
    let own: Link | undefined;
    for (const link of this.links) {
      if (!link.owned) {
        return link;
      }
      own = link;
    }
    return own;
  }

  /** Start a new attempt for a source; older attempts' results are then ignored. */
  nextGeneration(sourceId: string): number {
    const generation = (this._generations.get(sourceId) ?? 0) + 1;
    this._generations.set(sourceId, generation);
    return generation;
  }

  isCurrent(sourceId: string, generation: number): boolean {
    return this._generations.get(sourceId) === generation;
  }

  private _generations = new Map<string, number>();
  private _language = '';
  private _languageKnown = new PromiseDelegate<void>();
}
