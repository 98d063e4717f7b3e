// The French month calendar of the date fields (issue 14), as pure functions on the core's
// "YYYY-MM-DD" strings: the month grid (weeks from Monday), the keyboard's moves (WAI-ARIA
// APG « Date Picker Dialog ») and the names. The names are a table, not Intl: the app must be
// French under any system locale (the e2e runs under LANG=C), and a table cannot vary with
// the engine's ICU data. No state, no DOM: unit-tested in calendar.test.ts.

import { formatDate, MONTHS, NBSP } from './format';

/** Weeks start on Monday (ISO 8601, as French calendars do). */
export const WEEKDAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'] as const;
/** The column heads: « lu ma me je ve sa di ». */
export const WEEKDAYS_SHORT = ['lu', 'ma', 'me', 'je', 've', 'sa', 'di'] as const;

/** The years a date field accepts (`parseDate`): moves stop at these bounds. */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2199;

export interface Day {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function isoOf(d: Day): string {
  return `${String(d.year).padStart(4, '0')}-${pad2(d.month)}-${pad2(d.day)}`;
}

/** "2026-12-03" → the day, or null when the string is not a real date. */
export function dayOf(iso: string): Day | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > daysInMonth(d.year, d.month)) return null;
  return d;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayOf(d: Day): number {
  return (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7;
}

/** The local calendar day of an instant (the adviser's « aujourd’hui »). */
export function todayOf(now: Date): string {
  return isoOf({ year: now.getFullYear(), month: now.getMonth() + 1, day: now.getDate() });
}

function clampYear(d: Day): Day {
  if (d.year < FIRST_YEAR) return { year: FIRST_YEAR, month: 1, day: 1 };
  if (d.year > LAST_YEAR) return { year: LAST_YEAR, month: 12, day: 31 };
  return d;
}

/** `n` days later (earlier when negative), kept within the accepted years. */
export function addDays(d: Day, n: number): Day {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return clampYear({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() });
}

/** `n` months later, on the same day or the month's last when shorter (31 janvier + 1 → 28 février). */
export function addMonths(d: Day, n: number): Day {
  const index = d.year * 12 + (d.month - 1) + n;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  if (year < FIRST_YEAR || year > LAST_YEAR) return clampYear({ year, month, day: 1 });
  return { year, month, day: Math.min(d.day, daysInMonth(year, month)) };
}

/**
 * The month's weeks, Monday first: each a row of 7 days, null outside the month (the APG
 * pattern leaves those cells empty; the arrows still cross into the next month).
 */
export function monthGrid(year: number, month: number): (Day | null)[][] {
  const lead = weekdayOf({ year, month, day: 1 });
  const count = daysInMonth(year, month);
  const weeks: (Day | null)[][] = [];
  for (let start = 1 - lead; start <= count; start += 7) {
    const week: (Day | null)[] = [];
    for (let day = start; day < start + 7; day++) week.push(day >= 1 && day <= count ? { year, month, day } : null);
    weeks.push(week);
  }
  return weeks;
}

/**
 * Where a key moves the focused day in the grid, or null when the key is not the grid's:
 * arrows by day and week, Page Up / Page Down by month (with Shift by year), Home / End to
 * the week's Monday / Sunday.
 */
export function moveByKey(d: Day, key: string, shift = false): Day | null {
  switch (key) {
    case 'ArrowLeft':
      return addDays(d, -1);
    case 'ArrowRight':
      return addDays(d, 1);
    case 'ArrowUp':
      return addDays(d, -7);
    case 'ArrowDown':
      return addDays(d, 7);
    case 'PageUp':
      return addMonths(d, shift ? -12 : -1);
    case 'PageDown':
      return addMonths(d, shift ? 12 : 1);
    case 'Home':
      return addDays(d, -weekdayOf(d));
    case 'End':
      return addDays(d, 6 - weekdayOf(d));
    default:
      return null;
  }
}

/** « décembre 2026 ». */
export function monthTitle(year: number, month: number): string {
  return `${MONTHS[month - 1]}${NBSP}${year}`;
}

/** A day cell's accessible name: « jeudi 3 décembre 2026 », « mardi 1er décembre 2026 ». */
export function dayLabel(d: Day): string {
  return `${WEEKDAYS[weekdayOf(d)]} ${formatDate(isoOf(d))}`;
}
