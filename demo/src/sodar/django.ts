/**
 * What Django, Django REST framework and Python do around SODAR's views, as far as a client
 * can tell: DRF's content negotiation and `AcceptHeaderVersioning`, its Basic parsing and
 * `request.data`, its `{"detail": …}` bodies, Django's error pages, and Python's `int()`,
 * `datetime` limits and `isoformat()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

import { decodeBasic, readBody } from '../http';

/** The `detail` messages SODAR (DRF, knox, axes) answers with. */
export const SodarMessages = Object.freeze({
  notProvided: 'Authentication credentials were not provided.',
  badCredentials: 'Invalid username/password.',
  basicNoCredentials: 'Invalid basic header. No credentials provided.',
  basicBadEncoding:
    'Invalid basic header. Credentials not correctly base64 encoded.',
  locked: 'Account locked: too many login attempts.',
  notAcceptable: 'Could not satisfy the request Accept header.',
  invalidVersion: 'Invalid version in "Accept" header.',
  tokenNoCredentials: 'Invalid token header. No credentials provided.',
  tokenSpaces: 'Invalid token header. Token string should not contain spaces.',
  invalidToken: 'Invalid token.',
  notFound: 'Not found.'
});

/** The `WWW-Authenticate` challenge: DRF takes it from the first authentication class, Basic. */
export const SODAR_CHALLENGE = 'Basic realm="api"';

/** `datetime.max` (9999-12-31 23:59:59.999999 UTC) in ms. */
export const MAX_DATETIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `timedelta.max` in hours (999 999 999 days). */
export const MAX_TIMEDELTA_HOURS = 999999999 * 24;

/** A JSON body with the negotiated content type. */
export function sendTyped(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType: string,
  headers: Record<string, string> = {}
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    Vary: 'Accept'
  });
  res.end(text);
}

/** DRF's error body `{"detail": …}`; with the challenge for 401s. */
export function sendDrf(
  res: ServerResponse,
  status: number,
  detail: string,
  contentType: string,
  challenge = false
): void {
  sendTyped(
    res,
    status,
    { detail },
    contentType,
    challenge ? { 'WWW-Authenticate': SODAR_CHALLENGE } : {}
  );
}

/** What Django (5xx from the app) or the reverse proxy (502–504) sends: HTML. */
export function serverError(
  res: ServerResponse,
  status: number,
  message?: string
): void {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const html =
    status >= 502 && status <= 504
      ? `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${message ?? title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
      : `<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (${status})</title>\n</head>\n<body>\n  <h1>${message ?? `Server Error (${status})`}</h1><p></p>\n</body>\n</html>\n`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html)
  });
  res.end(html);
}

/** The outcome of DRF's content negotiation plus `AcceptHeaderVersioning`. */
export type Negotiated =
  | { ok: true; contentType: string; version: string }
  | { ok: false; detail: string; contentType: string };

/**
 * DRF's content negotiation against one renderer (`media`), then the version from the
 * accepted media type's `version` parameter (`defaultVersion` when absent).
 */
export function negotiate(
  header: string | undefined,
  media: string,
  allowed: readonly string[],
  defaultVersion: string
): Negotiated {
  const accepts = (header ?? '').trim() ? (header as string) : '*/*';
  const [type, subtype] = media.split('/');
  const ranges = accepts
    .split(',')
    .map(part => {
      const [range, ...params] = part.split(';').map(s => s.trim());
      const [main = '', sub = ''] = range.toLowerCase().split('/');
      const values: Record<string, string> = {};
      for (const param of params) {
        const index = param.indexOf('=');
        if (index > 0) {
          values[param.slice(0, index).trim().toLowerCase()] = param
            .slice(index + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
        }
      }
      const precedence = main === '*' ? 0 : sub === '*' ? 1 : 2;
      return { main, sub, values, precedence };
    })
    .filter(range => range.main && range.sub)
    // Most specific first, as DRF's order_by_precedence.
    .sort((a, b) => b.precedence - a.precedence);
  const match = ranges.find(
    range =>
      (range.main === '*' || range.main === type) &&
      (range.sub === '*' || range.sub === subtype)
  );
  if (!match) {
    return {
      ok: false,
      detail: SodarMessages.notAcceptable,
      contentType: media
    };
  }
  const params = Object.entries(match.values)
    .filter(([key]) => key !== 'q')
    .map(([key, value]) => `; ${key}=${value}`)
    .join('');
  const contentType = `${media}${params}`;
  const version = match.values.version ?? defaultVersion;
  if (!allowed.includes(version)) {
    return { ok: false, detail: SodarMessages.invalidVersion, contentType };
  }
  return { ok: true, contentType, version };
}

/** DRF's BasicAuthentication reading of the `Authorization` header. */
export function basicCredentials(
  req: IncomingMessage
):
  | { kind: 'ok'; username: string; password: string }
  | { kind: 'none' | 'empty' | 'bad' } {
  const parts = (req.headers.authorization ?? '').trim().split(/\s+/);
  if (!parts[0] || parts[0].toLowerCase() !== 'basic') {
    return { kind: 'none' };
  }
  if (parts.length === 1) {
    return { kind: 'empty' };
  }
  if (parts.length > 2 || !/^[A-Za-z0-9+/]*={0,2}$/.test(parts[1])) {
    return { kind: 'bad' };
  }
  const credentials = decodeBasic(parts[1]);
  return credentials ? { kind: 'ok', ...credentials } : { kind: 'bad' };
}

/** `request.data` as DRF's JSON and form parsers give it. */
export async function requestData(
  req: IncomingMessage
): Promise<
  | { kind: 'ok'; values: Record<string, unknown> }
  | { kind: 'parse-error' | 'unsupported'; detail: string }
  | { kind: 'server-error' }
> {
  const text = await readBody(req);
  if (!text) {
    return { kind: 'ok', values: {} };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (type.toLowerCase() === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return {
        kind: 'parse-error',
        detail: `JSON parse error - ${(error as Error).message}`
      };
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      // `request.data.get` on a list or a number raises: a plain 500.
      return { kind: 'server-error' };
    }
    return { kind: 'ok', values: parsed as Record<string, unknown> };
  }
  if (type.toLowerCase() === 'application/x-www-form-urlencoded') {
    return {
      kind: 'ok',
      values: Object.fromEntries(new URLSearchParams(text))
    };
  }
  return {
    kind: 'unsupported',
    detail: `Unsupported media type "${type}" in request.`
  };
}

/**
 * `int(value) if value else None` in Python: 0 for falsy values, the truncated number
 * for numbers and booleans, the integer of a decimal string; null where `int()` raises.
 */
export function pythonInt(value: unknown): number | null {
  if (value === null || value === false || value === '' || value === 0) {
    return 0;
  }
  if (value === true) {
    return 1;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.trunc(value) : null;
  }
  if (typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value)) {
    return Number(value.trim());
  }
  if (Array.isArray(value) && value.length === 0) {
    return 0;
  }
  return null;
}

/** DRF's default `detail` for statuses a fault may ask for. */
export const DRF_DETAILS: Record<number, string> = {
  400: 'Malformed request.',
  401: SodarMessages.notProvided,
  403: 'You do not have permission to perform this action.',
  404: SodarMessages.notFound,
  405: 'Method not allowed.',
  406: SodarMessages.notAcceptable,
  415: 'Unsupported media type in request.',
  429: 'Request was throttled.'
};

/**
 * Formats a date as Python's `datetime.isoformat()` does for an aware datetime in `timeZone`:
 * `2026-11-20T16:04:05.123000+01:00` (no fraction when it is zero).
 */
export function sodarIsoFormat(date: Date, timeZone: string): string {
  const offset = offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const ms = local.getUTCMilliseconds();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    (ms ? `.${pad(ms * 1000, 6)}` : '') +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** The UTC offset of `timeZone` at `date`, in minutes. */
export function offsetMinutes(date: Date, timeZone: string): number {
  const name =
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      timeZoneName: 'longOffset'
    })
      .formatToParts(date)
      .find(part => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /^GMT(?:([+-])(\d{2}):?(\d{2})?)?$/.exec(name);
  if (!match) {
    throw new Error(`Cannot read the UTC offset of ${timeZone}: ${name}`);
  }
  if (!match[1]) {
    return 0;
  }
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}
