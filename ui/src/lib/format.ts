// French typography helpers. Every separator is written out explicitly (no reliance on
// Intl output, whose spaces differ between engines and versions).

/** U+00A0 NO-BREAK SPACE: before « € », « : », « % », inside « guillemets ». */
export const NBSP = '\u00a0';
/** U+202F NARROW NO-BREAK SPACE: thousands separator, before « ; ! ? ». */
export const NNBSP = '\u202f';
/** U+2212 MINUS SIGN. */
export const MINUS = '\u2212';

export const MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
] as const;

/** Groups the digits of a non-negative integer string by three, with U+202F. */
function groupDigits(digits: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    const fromEnd = digits.length - i;
    if (i > 0 && fromEnd % 3 === 0) out += NNBSP;
    out += digits[i];
  }
  return out;
}

function toBigInt(value: number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    throw new RangeError(`entier attendu, reçu ${value}`);
  }
  return BigInt(value);
}

/** An integer with thousands separated by a narrow no-break space: 12345 → « 12 345 ». */
export function formatInteger(value: number | bigint): string {
  const n = toBigInt(value);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString();
  return (negative ? MINUS : '') + groupDigits(digits);
}

/** Integer cents → « 12 345,67 € » (U+202F thousands, U+00A0 before €). */
export function formatMoney(cents: number | bigint): string {
  const n = toBigInt(cents);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const euros = abs / 100n;
  const rest = abs % 100n;
  const body = `${groupDigits(euros.toString())},${rest.toString().padStart(2, '0')}`;
  return `${negative ? MINUS : ''}${body}${NBSP}€`;
}

/** Population → « 1 234 hab. ». */
export function formatPopulation(population: number | bigint): string {
  return `${formatInteger(population)}${NBSP}hab.`;
}

/** VAT rate in basis points → « 20 % », « 5,5 % », « 2,1 % ». */
export function formatPercentBp(basisPoints: number | bigint): string {
  const n = toBigInt(basisPoints);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const whole = abs / 100n;
  let decimals = (abs % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  decimals = decimals ? `,${decimals}` : '';
  return `${negative ? MINUS : ''}${groupDigits(whole.toString())}${decimals}${NBSP}%`;
}

/**
 * A rate in parts per million → « 16,404 % », « 70 % », « 12,5 % » (the funding rules'
 * unit: 1 000 000 = 100 %), written like the core's `format::percent`.
 */
export function formatPercentPpm(ppm: number | bigint): string {
  const n = toBigInt(ppm);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const whole = abs / 10000n;
  let decimals = (abs % 10000n).toString().padStart(4, '0').replace(/0+$/, '');
  decimals = decimals ? `,${decimals}` : '';
  return `${negative ? MINUS : ''}${groupDigits(whole.toString())}${decimals}${NBSP}%`;
}

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

const ISO_LOCAL =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses a local date or date-time as sent by the core ("2026-12-01", "2026-12-01T18:00",
 * "2026-12-01T18:00:00"). No time zone is involved: the meeting time is what the mairie
 * agreed to, wherever the laptop's clock is set. A value with a zone ("…Z", "…+01:00") is
 * an instant and is converted to the laptop's local time.
 */
export function parseLocal(value: string): LocalDateTime | null {
  const m = ISO_LOCAL.exec(value.trim());
  if (!m) return null;
  if (m[7] !== undefined) {
    // An instant with a zone (a backup's timestamp…): shown in the laptop's local time.
    const d = new Date(value.trim());
    if (Number.isNaN(d.getTime())) return null;
    return {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
    };
  }
  const dt: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
  };
  if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31) return null;
  if (dt.hour > 23 || dt.minute > 59) return null;
  return dt;
}

/** « 29 novembre 2026 », « 1er décembre 2026 » as the PDF writes it (no-break spaces keep the date on one line). */
export function formatDate(value: string): string {
  const dt = parseLocal(value);
  if (!dt) return value;
  return `${dt.day === 1 ? '1er' : dt.day}${NBSP}${MONTHS[dt.month - 1]}${NBSP}${dt.year}`;
}

/** « 18 h 00 ». */
export function formatTime(hour: number, minute: number): string {
  return `${hour}${NBSP}h${NBSP}${String(minute).padStart(2, '0')}`;
}

/** « 1er décembre 2026 à 18 h 00 ». */
export function formatDateTime(value: string): string {
  const dt = parseLocal(value);
  if (!dt) return value;
  return `${formatDate(value)} à ${formatTime(dt.hour, dt.minute)}`;
}

/**
 * French punctuation spacing: a no-break space before « : », a narrow no-break space
 * before « ; ! ? », no-break spaces inside « guillemets ». Existing spaces are replaced,
 * missing ones added; URLs, times (18:00) and runs such as « ?! » are left alone.
 */
export function frenchPunctuation(text: string): string {
  let out = text;
  // « : » when followed by a space or the end (not "18:00", not "https://").
  out = out.replace(/([^\s:;!?])[ \u00a0\u202f]*:(?=\s|$)/g, `$1${NBSP}:`);
  out = out.replace(/([^\s:;!?])[ \u00a0\u202f]*([;!?]+)(?=\s|$|[»)\]])/g, `$1${NNBSP}$2`);
  out = out.replace(/«[ \u00a0\u202f]*/g, `«${NBSP}`);
  out = out.replace(/[ \u00a0\u202f]*»/g, `${NBSP}»`);
  return out;
}

/** « 1 participant », « 2 participants », « aucun participant » when zero and `none` given. */
export function plural(count: number, singular: string, pluralForm: string, none?: string): string {
  if (count === 0 && none !== undefined) return none;
  return `${formatInteger(count)}${NBSP}${count > 1 ? pluralForm : singular}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A `Date` → "YYYY-MM-DD" in local time, the value format of `<input type="date">`. */
export function toInputDate(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** The next working day (Monday to Friday) strictly after `now`, as "YYYY-MM-DD". */
export function nextWeekday(now: Date): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  do {
    d.setDate(d.getDate() + 1);
  } while (d.getDay() === 0 || d.getDay() === 6);
  return toInputDate(d);
}

/** Splits the core's "2026-12-01T18:00:00" into the values of a date and a time input. */
export function splitDateTime(value: string): { date: string; time: string } {
  const dt = parseLocal(value);
  if (!dt) return { date: '', time: '' };
  return {
    date: `${dt.year}-${pad2(dt.month)}-${pad2(dt.day)}`,
    time: `${pad2(dt.hour)}:${pad2(dt.minute)}`,
  };
}

/** Joins date and time input values into the "YYYY-MM-DDTHH:MM" the core expects. */
export function joinDateTime(date: string, time: string): string {
  return `${date}T${time.slice(0, 5)}`;
}
