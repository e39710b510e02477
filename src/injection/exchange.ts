/**
 * The stdin exchange: run the injection's silent code over one kernel connection and answer the
 * input requests it makes (see `languages.ts` for what the code asks and what it takes).
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Link } from './entries';
import type { StdinAnswers } from './languages';

/**
 * Options of `execute`.
 */
export interface IExecuteOptions {
  /** The values to answer input requests with; without them the code may not ask. */
  answers?: StdinAnswers;
  /**
   * The first request to a restarted process: nothing of the user's can be ahead of it, so the
   * silence timer starts at once.
   */
  first?: boolean;
  /** For the reasons of failures. */
  trans: TranslationBundle;
  /** Called when the link has no request in flight any more. */
  idle: (link: Link) => void;
}

/**
 * Run silent code and answer its input requests. Resolves with `null` on success or the
 * reason of the failure (which never quotes the kernel's error text: it could hold a value).
 *
 * An input request can get lost: right after a restart, the server may reuse a stdin channel
 * that has not reconnected to the new process yet, and the kernel would wait forever. So,
 * once the kernel runs this request and has asked nothing for a while, answer unasked; the
 * code then drains any answer that comes after the one it took (see `languages.ts`).
 *
 * "Runs this request": seen on IOPub (`busy`), or, for the `first` request to a restarted
 * process (nothing of the user's can be ahead of it to read that answer), from the start,
 * since that `busy` may be lost the same way. One answer unasked at most: see
 * `StdinAnswers.unasked`.
 *
 * Until its first `await` this runs synchronously, so the request is queued on the connection
 * before the caller returns.
 */
export async function execute(
  link: Link,
  code: string,
  options: IExecuteOptions
): Promise<string | null> {
  const { answers, first = false, trans } = options;
  const kernel = link.kernel;
  if (kernel.isDisposed || kernel.status === 'dead') {
    return trans.__('The kernel is not running');
  }
  let future: Kernel.IShellFuture<
    KernelMessage.IExecuteRequestMsg,
    KernelMessage.IExecuteReplyMsg
  >;
  try {
    future = kernel.requestExecute(
      {
        code,
        silent: true,
        store_history: false,
        allow_stdin: answers !== undefined,
        stop_on_error: false
      },
      true
    );
  } catch {
    return trans.__('The kernel is not running');
  }
  let timer: ReturnType<typeof setInterval> | undefined;
  if (answers) {
    let lastHeard = 0;
    // Unasked answers have no input request to answer: they name the request instead.
    let parent: KernelMessage.IHeader = future.msg.header;
    const reply = (value: string) => {
      try {
        kernel.sendInputReply(
          { status: 'ok', value },
          parent as KernelMessage.IHeader<'input_request'>
        );
      } catch {
        // The kernel died meanwhile; the reply below says so.
      }
    };
    future.onStdin = msg => {
      if (!KernelMessage.isInputRequestMsg(msg)) {
        return;
      }
      lastHeard = Date.now();
      parent = msg.header;
      reply(answers.answer(String(msg.content.prompt)));
    };
    const listen = () => {
      lastHeard = Date.now();
      timer ??= setInterval(() => {
        if (
          answers.complete ||
          Date.now() - lastHeard < Private.STDIN_SILENCE_MS
        ) {
          return;
        }
        const unasked = answers.unasked();
        if (unasked === null) {
          clearInterval(timer);
        } else {
          reply(unasked);
        }
      }, Private.STDIN_SILENCE_MS / 2);
    };
    future.onIOPub = msg => {
      // Our code runs now (not a user cell queued before it): listen for silence.
      if (
        timer === undefined &&
        KernelMessage.isStatusMsg(msg) &&
        msg.content.execution_state === 'busy'
      ) {
        listen();
      }
    };
    if (first) {
      listen();
    }
  }
  // The shell reply is enough: after a restart by another client, the server's IOPub socket
  // for a connection may stay deaf to the new process, and `done` waits for an IOPub `idle`.
  const replied = new Promise<KernelMessage.IExecuteReplyMsg>(
    (resolve, reject) => {
      future.onReply = resolve;
      future.done.then(resolve, reject);
    }
  );
  // When the connection is lost first, `done` still rejects later ("Kernel connection
  // disconnected"); the race below has moved on, so that rejection must not go unhandled.
  replied.catch(() => undefined);
  link.inFlight += 1;
  try {
    const reply = await Promise.race([replied, link.lost]);
    if (!reply) {
      return trans.__('The connection to the kernel was lost');
    }
    const content = reply.content;
    switch (content.status) {
      case 'ok':
        return null;
      case 'error':
        return trans.__(
          'The kernel answered with an error (%1); the token was not injected',
          content.ename
        );
      default:
        return trans.__(
          'The kernel aborted the request; the token was not injected'
        );
    }
  } catch {
    return trans.__('The kernel died or restarted before answering');
  } finally {
    clearInterval(timer);
    if (!future.isDisposed) {
      future.dispose();
    }
    link.inFlight -= 1;
    if (link.inFlight === 0) {
      options.idle(link);
    }
  }
}

/**
 * Module internals.
 */
namespace Private {
  /** How long a kernel running our code may ask nothing before we answer unasked. */
  export const STDIN_SILENCE_MS = 500;
}
