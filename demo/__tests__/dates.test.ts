import {
  addInterval,
  formatXdmodDate,
  parseInterval,
  phpDate
} from '../src/dates';

describe('formatXdmodDate', () => {
  it('writes the month where the minutes belong, as PHP "Y-m-d H:m:s" does', () => {
    const date = new Date(2027, 4, 23, 14, 37, 9);
    expect(formatXdmodDate(date)).toBe('2027-05-23 14:05:09');
  });

  it('pads every field to two digits', () => {
    expect(formatXdmodDate(new Date(2026, 0, 2, 3, 4, 5))).toBe(
      '2026-01-02 03:01:05'
    );
  });

  it('differs from the honest format only in the minutes', () => {
    const date = new Date(2026, 10, 23, 10, 59, 30);
    expect(phpDate('Y-m-d H:i:s', date)).toBe('2026-11-23 10:59:30');
    expect(formatXdmodDate(date)).toBe('2026-11-23 10:11:30');
  });
});

describe('parseInterval', () => {
  it.each([
    ['6 months', { months: 6, seconds: 0 }],
    ['3 hours', { months: 0, seconds: 3 * 3600 }],
    ['10 seconds', { months: 0, seconds: 10 }],
    ['+1 month 2 days', { months: 1, seconds: 2 * 86400 }],
    ['1 year', { months: 12, seconds: 0 }],
    ['2 weeks', { months: 0, seconds: 14 * 86400 }],
    ['90', { months: 0, seconds: 90 }],
    [2, { months: 0, seconds: 2 }]
  ])('reads %p', (text, expected) => {
    expect(parseInterval(text)).toEqual(expected);
  });

  it.each(['', 'soon', '6 moons', '0 seconds', -5, '3 hours later'])(
    'refuses %p',
    text => {
      expect(() => parseInterval(text)).toThrow(/Invalid token lifetime/);
    }
  );
});

describe('addInterval', () => {
  it('adds calendar months in local time', () => {
    const start = new Date(2026, 10, 23, 10, 0, 0);
    expect(addInterval(start, parseInterval('6 months'))).toEqual(
      new Date(2027, 4, 23, 10, 0, 0)
    );
  });

  it('overflows the end of a month as PHP does', () => {
    const start = new Date(2026, 7, 31, 12, 0, 0);
    expect(addInterval(start, parseInterval('6 months'))).toEqual(
      new Date(2027, 2, 3, 12, 0, 0)
    );
  });

  it('adds seconds', () => {
    const start = new Date(2026, 0, 1, 0, 0, 0);
    expect(addInterval(start, parseInterval('90 seconds'))).toEqual(
      new Date(2026, 0, 1, 0, 1, 30)
    );
  });
});
