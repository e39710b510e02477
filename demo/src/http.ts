/**
 * Small HTTP helpers shared by the portal modules: bodies, cookies, replies.
 *
 * node:http only; the demo portal needs no framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body the demo portal reads (sign-in forms and small JSON). */
const MAX_BODY_BYTES = 64 * 1024;

/** A request as the portal modules see it: the raw objects plus the parsed URL. */
export interface IRequestContext {
  /** The incoming request. */
  readonly req: IncomingMessage;
  /** The response to write. */
  readonly res: ServerResponse;
  /** The request URL, resolved against the portal's own origin. */
  readonly url: URL;
  /** The request method in upper case. */
  readonly method: string;
}

/** What answers one request (a route, a test hook). */
export type Route = (context: IRequestContext) => Promise<void>;

/** Reads the request body as text (at most 64 KiB). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new Error('Request body too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a form-urlencoded or JSON body into string fields.
 *
 * Non-string JSON values are ignored, as PHP would see them as arrays or numbers.
 */
export async function readFields(
  req: IncomingMessage
): Promise<Record<string, string>> {
  const text = await readBody(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const fields: Record<string, string> = {};
  if (!text) {
    return fields;
  }
  if (type.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fields;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'string') {
          fields[key] = value;
        }
      }
    }
    return fields;
  }
  for (const [key, value] of new URLSearchParams(text)) {
    fields[key] = value;
  }
  return fields;
}

/** Reads a JSON object body; anything else becomes an empty object. */
export async function readJson(
  req: IncomingMessage
): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  try {
    const parsed = JSON.parse(text || '{}');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Parses the `Cookie` header. The first value wins when a name repeats. */
export function parseCookies(req: IncomingMessage): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 0) {
      continue;
    }
    const name = part.slice(0, index).trim();
    if (name && !(name in cookies)) {
      const raw = part.slice(index + 1).trim();
      try {
        cookies[name] = decodeURIComponent(raw);
      } catch {
        cookies[name] = raw;
      }
    }
  }
  return cookies;
}

/** Removes the named cookies from a `Cookie` header value; undefined when none remain. */
export function withoutCookies(
  header: string | undefined,
  names: ReadonlySet<string>
): string | undefined {
  if (!header) {
    return undefined;
  }
  const kept = header
    .split(';')
    .map(part => part.trim())
    .filter(part => part && !names.has(part.split('=')[0].trim()));
  return kept.length ? kept.join('; ') : undefined;
}

/** Attributes of a `Set-Cookie` header. */
export interface ICookieOptions {
  /** Add `HttpOnly`. */
  httpOnly?: boolean;
  /** Add `Secure`. */
  secure?: boolean;
  /** `Max-Age` in seconds; 0 deletes the cookie. */
  maxAge?: number;
  /** `Path`, `/` by default. */
  path?: string;
}

/** Builds one `Set-Cookie` header value. No `SameSite` attribute unless a caller adds one. */
export function serializeCookie(
  name: string,
  value: string,
  options: ICookieOptions = {}
): string {
  const parts = [`${name}=${encodeURIComponent(value)}`];
  parts.push(`Path=${options.path ?? '/'}`);
  if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${options.maxAge}`);
    if (options.maxAge === 0) {
      parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    }
  }
  if (options.httpOnly) {
    parts.push('HttpOnly');
  }
  if (options.secure) {
    parts.push('Secure');
  }
  return parts.join('; ');
}

/** Appends `Set-Cookie` headers to a response, keeping any already set. */
export function addCookies(res: ServerResponse, cookies: string[]): void {
  const previous = res.getHeader('Set-Cookie');
  const list = Array.isArray(previous)
    ? previous
    : previous === undefined
      ? []
      : [String(previous)];
  res.setHeader('Set-Cookie', [...list, ...cookies]);
}

/** Sends a JSON reply. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  res.end(text);
}

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    // The pages are self-contained: no external assets, no scripts.
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
  });
  res.end(html);
}

/** Sends a plain-text reply. */
export function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  res.end(text);
}

/** Redirects with the given status (302 for gates, 303 after a form POST). */
export function redirect(
  res: ServerResponse,
  status: 302 | 303,
  location: string
): void {
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** The user name and password in HTTP Basic's base64 part; undefined without a colon. */
export function decodeBasic(
  encoded: string
): { username: string; password: string } | undefined {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const index = decoded.indexOf(':');
  if (index < 0) {
    return undefined;
  }
  return {
    username: decoded.slice(0, index),
    password: decoded.slice(index + 1)
  };
}

/** Whether a request comes from a browser navigation rather than a script. */
export function wantsHtml(req: IncomingMessage): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  return accept.includes('text/html');
}

/**
 * Keeps a post-sign-in target on this origin: a path starting with one `/`.
 *
 * Anything else (absolute URLs, `//host`, backslashes) falls back to `fallback`.
 */
export function safeNext(next: string | null | undefined, fallback: string) {
  if (!next || !next.startsWith('/') || next.startsWith('//')) {
    return fallback;
  }
  if (next.includes('\\') || /[\u0000-\u001f]/.test(next)) {
    return fallback;
  }
  return next;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
