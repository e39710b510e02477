import { formatDate, formatRelative, formatShort } from '../widgets/format';

describe('formatRelative', () => {
  const now = new Date(2026, 10, 23, 10, 0, 0).getTime();
  const at = (ms: number) => new Date(now + ms);
  const HOUR = 3600 * 1000;
  const DAY = 24 * HOUR;

  it('speaks in numbers, in the largest readable unit', () => {
    expect(formatRelative(at(182 * DAY), now)).toBe('in 6 months');
    expect(formatRelative(at(150 * DAY), now)).toBe('in 5 months');
    expect(formatRelative(at(3 * HOUR), now)).toBe('in 3 hours');
    expect(formatRelative(at(5 * DAY), now)).toBe('in 5 days');
    expect(formatRelative(at(-2 * DAY), now)).toBe('2 days ago');
    expect(formatRelative(at(800 * DAY), now)).toBe('in 2 years');
  });
});

describe('formatDate', () => {
  it('shows no minutes when the portal gives the hour only', () => {
    const text = formatDate(new Date(2027, 4, 23, 14, 0, 9), 'hour');
    expect(text).toContain('2027');
    expect(text).not.toMatch(/\d:\d\d/);
  });

  it('shows minutes when the portal is precise', () => {
    expect(formatDate(new Date(2027, 4, 23, 14, 37, 9), 'second')).toMatch(
      /37/
    );
  });
});

describe('formatShort', () => {
  it('gives days, hours or minutes', () => {
    expect(formatShort(182 * 24 * 3600 * 1000)).toBe('182 d');
    expect(formatShort(5 * 3600 * 1000)).toBe('5 h');
    expect(formatShort(12 * 60 * 1000)).toBe('12 min');
  });
});
