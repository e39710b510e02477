/**
 * PHP-style dates and intervals, as XDMoD produces them.
 */

/**
 * A lifetime: calendar months plus seconds, the way PHP's relative formats add them.
 */
export interface IInterval {
  /** Calendar months (years count as 12). */
  months: number;
  /** Seconds (days count as 86 400). */
  seconds: number;
}

/**
 * Parses a lifetime such as `"6 months"`, `"3 hours"`, `"1 month 2 days"`, `"+10 seconds"`,
 * or a number of seconds (number or numeric string).
 *
 * Covers the PHP relative formats an `expiration_interval` uses in practice.
 * Throws on anything else, so a typo in a setting is seen at start-up.
 */
export function parseInterval(value: string | number): IInterval {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`Invalid token lifetime: ${value}`);
    }
    return { months: 0, seconds: value };
  }
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) {
    return parseInterval(Number(text));
  }
  const interval: IInterval = { months: 0, seconds: 0 };
  const part = /([+-]?\d+)\s*([a-z]+)\s*/y;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) {
      throw new Error(`Invalid token lifetime: "${value}"`);
    }
    const amount = Number(match[1]);
    const unit = Private.UNITS[match[2]];
    if (!unit) {
      throw new Error(
        `Invalid token lifetime unit "${match[2]}" in "${value}"`
      );
    }
    interval.months += amount * (unit.months ?? 0);
    interval.seconds += amount * (unit.seconds ?? 0);
    index = part.lastIndex;
  }
  if (index === 0 || (interval.months <= 0 && interval.seconds <= 0)) {
    throw new Error(`Invalid token lifetime: "${value}"`);
  }
  return interval;
}

/**
 * Adds an interval to a date like PHP's `DateTime::modify('+6 months')`:
 * months are calendar months in local time (31 Aug + 6 months overflows to 3 Mar, as in PHP).
 */
export function addInterval(date: Date, interval: IInterval): Date {
  const result = new Date(date.getTime());
  if (interval.months) {
    result.setMonth(result.getMonth() + interval.months);
  }
  return new Date(result.getTime() + interval.seconds * 1000);
}

/**
 * Formats a date with a PHP `date()` format string, in the process's local time zone
 * (as PHP uses `date.timezone`). Supports `Y m d H i s`; other characters are copied.
 */
export function phpDate(format: string, date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, string> = {
    Y: String(date.getFullYear()),
    m: pad(date.getMonth() + 1),
    d: pad(date.getDate()),
    H: pad(date.getHours()),
    i: pad(date.getMinutes()),
    s: pad(date.getSeconds())
  };
  return Array.from(format, c => fields[c] ?? c).join('');
}

/**
 * XDMoD's token dates, formatted `Y-m-d H:m:s`: the *minutes* field holds the month
 * number (PHP's `m`), not the minutes (`i`). Date, hour and seconds are right.
 * Uses the server's local time zone (set `TZ` to choose it), as PHP would.
 */
export function formatXdmodDate(date: Date): string {
  return phpDate('Y-m-d H:m:s', date);
}

namespace Private {
  const MINUTE = 60;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;

  type Unit = { months?: number; seconds?: number };

  const base: Record<string, Unit> = {
    sec: { seconds: 1 },
    second: { seconds: 1 },
    min: { seconds: MINUTE },
    minute: { seconds: MINUTE },
    hour: { seconds: HOUR },
    day: { seconds: DAY },
    week: { seconds: 7 * DAY },
    fortnight: { seconds: 14 * DAY },
    month: { months: 1 },
    year: { months: 12 }
  };

  /** Unit names, singular and plural. */
  export const UNITS: Record<string, Unit> = {};
  for (const [name, unit] of Object.entries(base)) {
    UNITS[name] = unit;
    UNITS[`${name}s`] = unit;
  }
}
