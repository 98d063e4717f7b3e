import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  type Day,
  dayLabel,
  dayOf,
  daysInMonth,
  isoOf,
  monthGrid,
  monthTitle,
  moveByKey,
  todayOf,
  weekdayOf,
} from './calendar';
import { parseDate } from './dateInput';

const d = (iso: string): Day => {
  const day = dayOf(iso);
  if (!day) throw new Error(`not a day: ${iso}`);
  return day;
};
const iso = (day: Day | null) => (day ? isoOf(day) : null);

// A small seeded generator: the properties run on the same many cases every time, and a
// failure prints the case.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function randomDay(next: () => number): Day {
  const year = 1900 + Math.floor(next() * 300);
  const month = 1 + Math.floor(next() * 12);
  return { year, month, day: 1 + Math.floor(next() * daysInMonth(year, month)) };
}

describe('names, French whatever the locale', () => {
  it('titles the month and names each day as the PDF writes dates', () => {
    expect(monthTitle(2026, 12)).toBe('décembre\u00a02026');
    expect(dayLabel(d('2026-12-03'))).toBe('jeudi 3\u00a0décembre\u00a02026');
    expect(dayLabel(d('2026-12-01'))).toBe('mardi 1er\u00a0décembre\u00a02026');
    expect(dayLabel(d('2026-12-06'))).toBe('dimanche 6\u00a0décembre\u00a02026');
  });

  it('takes today from the local clock', () => {
    expect(todayOf(new Date(2026, 11, 7, 23, 59))).toBe('2026-12-07');
    expect(todayOf(new Date(2027, 0, 1, 0, 0))).toBe('2027-01-01');
  });
});

describe('monthGrid: weeks from Monday', () => {
  it('lays out décembre 2026 (starts on a Tuesday, 5 weeks)', () => {
    const grid = monthGrid(2026, 12);
    expect(grid).toHaveLength(5);
    expect(grid[0].map(iso)).toEqual([null, '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect(grid[4].map(iso)).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', null, null, null]);
  });

  it('fits février 2027 in 4 weeks (starts on a Monday) and mars 2026 in 6', () => {
    expect(monthGrid(2027, 2)).toHaveLength(4);
    expect(monthGrid(2026, 3)).toHaveLength(6);
  });

  it('holds every day of any month once, in its weekday column, in order', () => {
    const next = random(14);
    for (let i = 0; i < 400; i += 1) {
      const { year, month } = randomDay(next);
      const grid = monthGrid(year, month);
      const days: string[] = [];
      for (const week of grid) {
        expect(week).toHaveLength(7);
        week.forEach((day, column) => {
          if (day) {
            expect(weekdayOf(day), isoOf(day)).toBe(column);
            days.push(isoOf(day));
          }
        });
      }
      expect(days.length).toBe(daysInMonth(year, month));
      days.forEach((day, k) => expect(day).toBe(isoOf({ year, month, day: k + 1 })));
      expect(grid[0].some((x) => x !== null) && grid[grid.length - 1].some((x) => x !== null)).toBe(true);
    }
  });
});

describe('moves (WAI-ARIA APG date picker keys)', () => {
  it.each([
    ['ArrowLeft', false, '2026-12-02'],
    ['ArrowRight', false, '2026-12-04'],
    ['ArrowUp', false, '2026-11-26'],
    ['ArrowDown', false, '2026-12-10'],
    ['PageUp', false, '2026-11-03'],
    ['PageDown', false, '2027-01-03'],
    ['PageUp', true, '2025-12-03'],
    ['PageDown', true, '2027-12-03'],
    ['Home', false, '2026-11-30'],
    ['End', false, '2026-12-06'],
  ])('%s (Shift %s) from jeudi 3 décembre 2026 → %s', (key, shift, to) => {
    expect(iso(moveByKey(d('2026-12-03'), key, shift))).toBe(to);
  });

  it('ignores keys that are not the grid’s', () => {
    expect(moveByKey(d('2026-12-03'), 'Enter')).toBeNull();
    expect(moveByKey(d('2026-12-03'), 'a')).toBeNull();
  });

  it('keeps the day when the month has it, else takes the month’s last', () => {
    expect(isoOf(addMonths(d('2027-01-31'), 1))).toBe('2027-02-28');
    expect(isoOf(addMonths(d('2028-01-31'), 1))).toBe('2028-02-29');
    expect(isoOf(addMonths(d('2026-03-31'), -1))).toBe('2026-02-28');
    expect(isoOf(addMonths(d('2028-02-29'), 12))).toBe('2029-02-28');
  });

  it('stops at the years a field accepts', () => {
    expect(isoOf(addDays(d('1900-01-01'), -1))).toBe('1900-01-01');
    expect(isoOf(addDays(d('2199-12-31'), 7))).toBe('2199-12-31');
    expect(isoOf(addMonths(d('1900-01-15'), -1))).toBe('1900-01-01');
    expect(isoOf(addMonths(d('2199-12-15'), 12))).toBe('2199-12-31');
  });

  it('always lands on a date the field reads back, and the arrows undo each other away from the bounds', () => {
    const next = random(2026);
    const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End'];
    const undo: Record<string, string> = { ArrowLeft: 'ArrowRight', ArrowRight: 'ArrowLeft', ArrowUp: 'ArrowDown', ArrowDown: 'ArrowUp' };
    for (let i = 0; i < 3000; i += 1) {
      const from = randomDay(next);
      const key = keys[Math.floor(next() * keys.length)];
      const shift = next() < 0.3;
      const to = moveByKey(from, key, shift);
      expect(to, `${isoOf(from)} ${key}`).not.toBeNull();
      if (!to) continue;
      expect(parseDate(isoOf(to)), `${isoOf(from)} ${key}`).toBe(isoOf(to));
      if (key === 'Home') expect(weekdayOf(to)).toBe(0);
      if (key === 'End') expect(weekdayOf(to)).toBe(6);
      if (key in undo && from.year > 1900 && from.year < 2199) {
        expect(iso(moveByKey(to, undo[key])), `${isoOf(from)} ${key}`).toBe(isoOf(from));
      }
      if ((key === 'PageUp' || key === 'PageDown') && from.year > 1901 && from.year < 2198) {
        expect(to.day).toBe(Math.min(from.day, daysInMonth(to.year, to.month)));
        const months = to.year * 12 + to.month - (from.year * 12 + from.month);
        expect(months).toBe((key === 'PageUp' ? -1 : 1) * (shift ? 12 : 1));
      }
    }
  });
});
