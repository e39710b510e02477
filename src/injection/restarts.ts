/**
 * Restart detection: when a kernel's process is new, whoever restarted it, so that the injector
 * forgets what the old process held and injects the new one.
 *
 * Ordering: on `restarting`/`autorestarting` the re-injection goes out in a microtask: after the
 * connection has cleared its state (which drops anything sent inside the status handler) and
 * before the restart resolves; or sooner, ahead of the connection's other listeners, when it
 * emits another status before that microtask runs.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';
import type { KernelEntry, Link } from './entries';

/**
 * Watches what the links the injector follows see of their kernels' restarts, and calls back
 * into the injector. The injector owns the signal connections and hands each status and
 * received message over, in the order its connection sees them.
 */
export class RestartWatcher {
  /**
   * Construct a restart watcher.
   */
  constructor(options: RestartWatcher.IOptions) {
    this._injector = options.injector;
  }

  /**
   * A status of a followed link's kernel, other than `dead`.
   */
  onStatus(entry: KernelEntry, link: Link, status: Kernel.Status): void {
    switch (status) {
      case 'restarting':
      case 'autorestarting': {
        this._injector.forgetProcess(entry);
        link.restarting = true;
        if (link.restartScheduled) {
          return;
        }
        link.restartScheduled = true;
        // Not now: right after this handler the connection clears its state, dropping what
        // was sent. A microtask runs after that, while messages are still being queued.
        void Promise.resolve().then(() => {
          if (link.restartScheduled) {
            this._reinject(entry, link);
          }
        });
        return;
      }
      default:
        if (link.restartScheduled) {
          // A status emitted before our microtask (on autorestart the connection goes
          // `unknown` right after clearing its state): send now, ahead of its other listeners.
          this._reinject(entry, link);
        } else if (status === 'starting') {
          // A new process the connection was not seen restarting (if we catch its first words).
          this._onNewProcess(entry, link, true);
        }
        return;
    }
  }

  /**
   * A message a followed link received.
   *
   * Notice restarts made by clients we do not follow. ipykernel broadcasts its
   * `shutdown_reply` (with `restart: true`) on IOPub and signs its messages with a session id
   * of its own: a message from another session after it comes from the new process.
   *
   * The new process's first messages may be gone before the server's IOPub socket for this
   * connection has reconnected to it, so ask it `kernel_info` until it answers.
   */
  onMessage(entry: KernelEntry, link: Link, msg: KernelMessage.IMessage): void {
    if (
      msg.channel === 'iopub' &&
      msg.header.msg_type === 'shutdown_reply' &&
      (msg.content as { restart?: boolean }).restart === true
    ) {
      if (!link.restarting && !link.restartScheduled) {
        this._askForNewProcess(link, msg.header.session);
      }
    } else if (
      link.oldProcess !== null &&
      msg.header.session !== link.oldProcess
    ) {
      link.stopAsking();
      this._onNewProcess(entry, link, false);
    }
  }

  /**
   * Send `kernel_info` requests until a new process answers (or a while has passed).
   */
  private _askForNewProcess(link: Link, oldProcess: string): void {
    link.stopAsking();
    link.oldProcess = oldProcess;
    let asked = 0;
    link.asking = setInterval(() => {
      if (
        link.oldProcess === null ||
        !this._injector.follows(link) ||
        asked++ >= Private.NEW_PROCESS_ASKS
      ) {
        link.stopAsking();
        return;
      }
      link.kernel.requestKernelInfo().catch(() => undefined);
    }, Private.NEW_PROCESS_INTERVAL_MS);
  }

  /**
   * The kernel runs a new process that no `restarting` status announced on this link: it said
   * `starting` (`announced`), or ipykernel's shutdown-and-new-session told us.
   */
  private _onNewProcess(
    entry: KernelEntry,
    link: Link,
    announced: boolean
  ): void {
    const links = Array.from(entry.links);
    if (links.some(other => other.restarting || other.restartScheduled)) {
      // A connection we follow restarted it, and re-injects over itself.
      return;
    }
    if (
      announced &&
      link.owned &&
      Date.now() - link.created < Private.FRESH_LINK_MS
    ) {
      // A connection made for this process as it started: its injection is on its way.
      return;
    }
    this._injector.forgetProcess(entry);
    // Over a fresh connection of our own: the server's sockets behind the connections that saw
    // the restart happen may not have reconnected to the new process (IOPub, stdin).
    for (const own of links.filter(other => other.owned)) {
      own.kernel.dispose();
    }
    this._injector.takeOver(entry);
  }

  /**
   * Inject every source again over the link that saw the restart (once per restart).
   */
  private _reinject(entry: KernelEntry, link: Link): void {
    link.restartScheduled = false;
    if (!this._injector.follows(link)) {
      return;
    }
    void this._injector.reinject(entry, link).then(() => {
      link.restarting = link.restartScheduled;
    });
  }

  private _injector: RestartWatcher.IInjector;
}

/**
 * The RestartWatcher namespace.
 */
export namespace RestartWatcher {
  /**
   * What the watcher asks of the injector.
   */
  export interface IInjector {
    /** Whether the injector still follows this link (it is its current one for the kernel). */
    follows(link: Link): boolean;
    /** The kernel's process is new: it holds nothing, and what is in flight is stale. */
    forgetProcess(entry: KernelEntry): void;
    /**
     * Inject every source over this link, synchronously queued (the first request to a new
     * process); resolves once every injection has ended.
     */
    reinject(entry: KernelEntry, link: Link): Promise<unknown>;
    /** Follow the kernel over a fresh connection of the injector's own, if any source is set. */
    takeOver(entry: KernelEntry): void;
  }

  /**
   * Options of a RestartWatcher.
   */
  export interface IOptions {
    /** The injector whose links are watched. */
    injector: IInjector;
  }
}

/**
 * Module internals.
 */
namespace Private {
  /** How long a new connection of ours takes a kernel's `starting` for its own start. */
  export const FRESH_LINK_MS = 3000;

  /** How often, and how many times, to ask a restarting kernel whether it runs again. */
  export const NEW_PROCESS_INTERVAL_MS = 500;
  export const NEW_PROCESS_ASKS = 60;
}
