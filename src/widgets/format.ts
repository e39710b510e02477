import { Time } from '@jupyterlab/coreutils';
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
 * "in 5 months", "in 3 hours", "2 days ago".
 */
export function formatRelative(date: Date): string {
  return Time.formatHuman(date);
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
