/**
 * Logging for the demo portal.
 *
 * One line per request: method, path without its query string, status. Query strings,
 * headers, cookies and bodies are never logged, so no token or password can leak here.
 */

import { openSync, writeSync } from 'node:fs';

/** Where log lines go. */
export interface ILogger {
  /** Writes one line (without its newline). */
  line(text: string): void;
}

/** A logger writing to the process's stderr. */
export const stderrLogger: ILogger = {
  line(text: string) {
    process.stderr.write(`${text}\n`);
  }
};

/**
 * A logger writing each line to a file as well (`DEMO_LOG_FILE`), synchronously so a test can
 * read the file at any time. The file is emptied first: it holds one run of the portal.
 */
export function fileLogger(
  path: string,
  also: ILogger = stderrLogger
): ILogger {
  const fd = openSync(path, 'w', 0o600);
  return {
    line(text: string) {
      also.line(text);
      writeSync(fd, `${text}\n`);
    }
  };
}

/** A logger that drops everything (in-process tests). */
export const silentLogger: ILogger = {
  line() {
    // Nothing: tests keep their output clean.
  }
};

/**
 * Formats a request line. `rawUrl` may hold a query string; only its path is kept.
 */
export function requestLine(
  method: string,
  rawUrl: string,
  status: number | string
): string {
  const path = rawUrl.split('?')[0].split('#')[0];
  return `${method} ${path} ${status}`;
}
