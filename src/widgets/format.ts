import type { ITokenInfo } from '../tokens';

/**
 * A token date for people: date and hour only when the portal's minutes cannot be trusted.
 */
export function formatDate(
  date: Date,
  precision: ITokenInfo['precision']
): string {
  const options: Intl.DateTimeFormatOptions =
    precision === 'hour'
      ? { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric' }
      : {
          year: 'numeric',
          month: 'short',
          day: 'numeric',
          hour: 'numeric',
          minute: '2-digit'
        };
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/**
 * "in 5 months", "in 3 hours", "2 days ago": always a number (never "next year"), in the
 * largest unit that keeps it readable.
 */
export function formatRelative(date: Date, now = Date.now()): string {
  const seconds = (date.getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  const units: [Intl.RelativeTimeFormatUnit, number, number][] = [
    // unit, its length in seconds, use it below this many seconds
    ['second', 1, 60],
    ['minute', 60, 3600],
    ['hour', 3600, 2 * 86400],
    ['day', 86400, 60 * 86400],
    ['month', 30.44 * 86400, 2 * 365.25 * 86400],
    ['year', 365.25 * 86400, Infinity]
  ];
  const [unit, length] = units.find(([, , below]) => abs < below)!;
  return Private.relative.format(Math.round(seconds / length), unit);
}

/**
 * Time left for the status bar: "182 d", "5 h", "12 min".
 */
export function formatShort(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  if (minutes >= 48 * 60) {
    return `${Math.floor(minutes / (24 * 60))} d`;
  }
  if (minutes >= 120) {
    return `${Math.floor(minutes / 60)} h`;
  }
  return `${minutes} min`;
}

namespace Private {
  export const relative = new Intl.RelativeTimeFormat(undefined, {
    numeric: 'always'
  });
}
