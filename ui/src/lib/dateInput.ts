// Dates and times typed the French way, whatever the system's locale (issue 14: under the
// C locale WebKit's <input type="date"> shows 12/10/2026 for 10 December): « 03/12/2026 »
// is 3 December. The fields keep the core's values ("YYYY-MM-DD", "HH:MM") and show
// « jj/mm/aaaa » and « hh:mm » (24 h). No state, no DOM: unit-tested in dateInput.test.ts.

const pad2 = (n: number) => String(n).padStart(2, '0');

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isoOf(year: number, month: number, day: number): string | null {
  if (year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

/**
 * A typed date → "YYYY-MM-DD", or null when it is not a date. Day first: « 03/12/2026 »,
 * « 3/12/2026 », « 3.12.2026 », « 3-12-26 » (20xx), « 03122026 »; and the ISO form
 * « 2026-12-03 » (pasted, or from a test). An empty text is null too.
 */
export function parseDate(text: string): string | null {
  const t = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) return isoOf(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})$/.exec(t);
  if (!m) m = /^(\d{2})(\d{2})(\d{4})$/.exec(t);
  if (!m) return null;
  const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  return isoOf(year, Number(m[2]), Number(m[1]));
}

/** "2026-12-03" → « 03/12/2026 »; anything else as it is (a field never hides what it holds). */
export function showDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** A typed time → "HH:MM" (24 h), or null: « 18:00 », « 18h00 », « 18 h 30 », « 18h », « 9:05 », « 1830 ». */
export function parseTime(text: string): string | null {
  const t = text.trim().toLowerCase();
  const m = /^(\d{1,2})\s*(?:[:h.]\s*(\d{2})?)?$/.exec(t) ?? /^(\d{2})(\d{2})$/.exec(t);
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (hour > 23 || minute > 59) return null;
  return `${pad2(hour)}:${pad2(minute)}`;
}

/** "18:00:00" or "18:00" → « 18:00 ». */
export function showTime(value: string): string {
  return /^\d{2}:\d{2}/.test(value) ? value.slice(0, 5) : value;
}

export const DATE_HINT = 'jj/mm/aaaa';
export const DATE_ERROR = 'Date attendue au format jj/mm/aaaa, par exemple 03/12/2026.';
export const TIME_ERROR = 'Heure attendue sur 24 heures, par exemple 18:00.';
