import { describe, expect, it } from 'vitest';
import { parseDate, parseTime, showDate, showTime } from './dateInput';

describe('parseDate: day first, whatever the locale', () => {
  it.each([
    ['03/12/2026', '2026-12-03'],
    ['3/12/2026', '2026-12-03'],
    [' 3 / 12 / 2026 ', '2026-12-03'],
    ['3.12.2026', '2026-12-03'],
    ['3-12-26', '2026-12-03'],
    ['03122026', '2026-12-03'],
    ['2026-12-03', '2026-12-03'],
    ['29/02/2028', '2028-02-29'],
    ['31/12/2026', '2026-12-31'],
  ])('%j → %s', (text, iso) => expect(parseDate(text)).toBe(iso));

  it.each(['', '12/2026', '32/12/2026', '29/02/2027', '31/04/2026', '03/13/2026', '0/1/2026', 'demain', '2026-02-30', '1/1/1800'])(
    '%j is not a date',
    (text) => expect(parseDate(text)).toBeNull(),
  );

  it('reads back what it shows, for every day of four years', () => {
    const d = new Date(Date.UTC(2026, 0, 1));
    for (let i = 0; i < 4 * 366; i += 1) {
      const iso = d.toISOString().slice(0, 10);
      expect(parseDate(showDate(iso))).toBe(iso);
      d.setUTCDate(d.getUTCDate() + 1);
    }
  });
});

describe('parseTime: 24 h', () => {
  it.each([
    ['18:00', '18:00'],
    ['18h00', '18:00'],
    ['18 h 30', '18:30'],
    ['18h', '18:00'],
    ['18', '18:00'],
    ['9:05', '09:05'],
    ['1830', '18:30'],
    ['0:00', '00:00'],
    ['23.59', '23:59'],
  ])('%j → %s', (text, value) => expect(parseTime(text)).toBe(value));

  it.each(['', '24:00', '18:60', '6 pm', '18:5', 'midi'])('%j is not a time', (text) => expect(parseTime(text)).toBeNull());

  it('shows hours and minutes', () => {
    expect(showTime('18:00:00')).toBe('18:00');
    expect(showDate('2026-12-03')).toBe('03/12/2026');
    expect(showDate('')).toBe('');
  });
});

describe('no field follows the system’s locale', () => {
  it('has no <input type="date"> or type="time" in any component (ParsedField instead)', () => {
    const sources = import.meta.glob('../**/*.svelte', { query: '?raw', import: 'default', eager: true }) as Record<
      string,
      string
    >;
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const offending = Object.entries(sources)
      .filter(([, text]) => /type=["'](date|time|datetime-local)["']/.test(text))
      .map(([file]) => file);
    expect(offending).toEqual([]);
  });
});
