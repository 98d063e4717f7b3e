import { describe, expect, it } from 'vitest';
import {
  formatDate,
  formatDateTime,
  formatInteger,
  formatMoney,
  formatPercentBp,
  formatPercentPpm,
  formatPopulation,
  frenchPunctuation,
  joinDateTime,
  nextWeekday,
  parseLocal,
  plural,
  splitDateTime,
} from './format';

// Written out explicitly so that the expectations do not depend on the code under test.
const NB = '\u00a0'; // no-break space
const NN = '\u202f'; // narrow no-break space
const MINUS = '\u2212';

describe('formatMoney (integer cents)', () => {
  const cases: [number | bigint, string][] = [
    [0, `0,00${NB}€`],
    [5, `0,05${NB}€`],
    [99, `0,99${NB}€`],
    [100, `1,00${NB}€`],
    [123456, `1${NN}234,56${NB}€`],
    [1234567, `12${NN}345,67${NB}€`],
    [100000, `1${NN}000,00${NB}€`],
    [99999999, `999${NN}999,99${NB}€`],
    [123456789012, `1${NN}234${NN}567${NN}890,12${NB}€`],
    [-1234567, `${MINUS}12${NN}345,67${NB}€`],
    [-5, `${MINUS}0,05${NB}€`],
    [1234567n, `12${NN}345,67${NB}€`],
    [900719925474099100n, `9${NN}007${NN}199${NN}254${NN}740${NN}991,00${NB}€`],
  ];
  it.each(cases)('%s → %j', (cents, expected) => {
    expect(formatMoney(cents)).toBe(expected);
  });

  it('refuses non-integer amounts instead of rounding silently', () => {
    expect(() => formatMoney(12.5)).toThrow(RangeError);
    expect(() => formatMoney(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatInteger and formatPopulation', () => {
  const integers: [number, string][] = [
    [0, '0'],
    [7, '7'],
    [278, '278'],
    [1000, `1${NN}000`],
    [12345, `12${NN}345`],
    [133755, `133${NN}755`],
    [1234567, `1${NN}234${NN}567`],
    [-4200, `${MINUS}4${NN}200`],
  ];
  it.each(integers)('formatInteger(%s) → %j', (n, expected) => {
    expect(formatInteger(n)).toBe(expected);
  });

  const populations: [number, string][] = [
    [0, `0${NB}hab.`],
    [278, `278${NB}hab.`],
    [1234, `1${NN}234${NB}hab.`],
    [133755, `133${NN}755${NB}hab.`],
  ];
  it.each(populations)('formatPopulation(%s) → %j', (n, expected) => {
    expect(formatPopulation(n)).toBe(expected);
  });
});

describe('formatPercentBp (VAT in basis points)', () => {
  const cases: [number, string][] = [
    [2000, `20${NB}%`],
    [1000, `10${NB}%`],
    [550, `5,5${NB}%`],
    [210, `2,1${NB}%`],
    [0, `0${NB}%`],
    [1625, `16,25${NB}%`],
  ];
  it.each(cases)('%s → %j', (bp, expected) => {
    expect(formatPercentBp(bp)).toBe(expected);
  });
});

describe('dates', () => {
  const dates: [string, string][] = [
    ['2026-11-29', `29${NB}novembre${NB}2026`],
    ['2026-11-29T08:00:00', `29${NB}novembre${NB}2026`],
    ['2026-01-01', `1er${NB}janvier${NB}2026`],
    ['2026-02-14', `14${NB}février${NB}2026`],
    ['2026-08-15', `15${NB}août${NB}2026`],
    ['2026-12-31', `31${NB}décembre${NB}2026`],
  ];
  it.each(dates)('formatDate(%j) → %j', (value, expected) => {
    expect(formatDate(value)).toBe(expected);
  });

  const dateTimes: [string, string][] = [
    ['2026-12-01T18:00:00', `1er${NB}décembre${NB}2026 à 18${NB}h${NB}00`],
    ['2026-12-01T18:00', `1er${NB}décembre${NB}2026 à 18${NB}h${NB}00`],
    ['2026-12-03T09:05:00', `3${NB}décembre${NB}2026 à 9${NB}h${NB}05`],
    ['2027-06-30T00:00:00', `30${NB}juin${NB}2027 à 0${NB}h${NB}00`],
    ['2026-03-10 17:45:00', `10${NB}mars${NB}2026 à 17${NB}h${NB}45`],
    ['2026-03-10T17:45:30.123', `10${NB}mars${NB}2026 à 17${NB}h${NB}45`],
  ];
  it.each(dateTimes)('formatDateTime(%j) → %j', (value, expected) => {
    expect(formatDateTime(value)).toBe(expected);
  });

  it('shows instants with a zone in local time', () => {
    const instant = '2026-11-29T17:00:00Z';
    const d = new Date(instant);
    const expected = `${d.getDate()}${NB}novembre${NB}2026 à ${d.getHours()}${NB}h${NB}00`;
    expect(formatDateTime(instant)).toBe(expected);
    expect(parseLocal('2026-11-29T18:00:00+01:00')).not.toBeNull();
  });

  it('leaves unparseable values as they are', () => {
    expect(formatDate('bientôt')).toBe('bientôt');
    expect(formatDateTime('2026-13-01T18:00')).toBe('2026-13-01T18:00');
    expect(parseLocal('2026-12-01T25:00')).toBeNull();
  });

  it('splits and joins the values of date and time inputs', () => {
    expect(splitDateTime('2026-12-01T18:00:00')).toEqual({ date: '2026-12-01', time: '18:00' });
    expect(splitDateTime('n/a')).toEqual({ date: '', time: '' });
    expect(joinDateTime('2026-12-03', '18:00')).toBe('2026-12-03T18:00');
    expect(joinDateTime('2026-12-03', '18:00:00')).toBe('2026-12-03T18:00');
  });

  const weekdays: [string, Date, string][] = [
    ['Monday → Tuesday', new Date(2026, 10, 23, 10, 0), '2026-11-24'],
    ['Thursday → Friday', new Date(2026, 10, 26, 23, 59), '2026-11-27'],
    ['Friday → Monday', new Date(2026, 10, 27, 9, 0), '2026-11-30'],
    ['Saturday → Monday', new Date(2026, 10, 28, 9, 0), '2026-11-30'],
    ['Sunday → Monday', new Date(2026, 10, 29, 18, 30), '2026-11-30'],
    ['across a year', new Date(2026, 11, 31, 12, 0), '2027-01-01'],
  ];
  it.each(weekdays)('nextWeekday: %s', (_label, now, expected) => {
    expect(nextWeekday(now)).toBe(expected);
  });
});

describe('frenchPunctuation', () => {
  const cases: [string, string][] = [
    ['Note: à relire', `Note${NB}: à relire`],
    ['Note : à relire', `Note${NB}: à relire`],
    [`Note${NB}: déjà bon`, `Note${NB}: déjà bon`],
    ['Pourquoi?', `Pourquoi${NN}?`],
    ['Vraiment ?!', `Vraiment${NN}?!`],
    ['Attention!', `Attention${NN}!`],
    ['un; deux', `un${NN}; deux`],
    ['Fin :', `Fin${NB}:`],
    ['«Bon pour accord»', `«${NB}Bon pour accord${NB}»`],
    ['« Bon pour accord »', `«${NB}Bon pour accord${NB}»`],
    ['Il a dit «oui» !', `Il a dit «${NB}oui${NB}»${NN}!`],
    ['Rendez-vous à 18:00.', 'Rendez-vous à 18:00.'],
    ['Voir https://example.fr/a?b=1 demain', 'Voir https://example.fr/a?b=1 demain'],
    ['', ''],
  ];
  it.each(cases)('%j → %j', (input, expected) => {
    expect(frenchPunctuation(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const [input] of cases) {
      const once = frenchPunctuation(input);
      expect(frenchPunctuation(once)).toBe(once);
    }
  });
});

describe('plural', () => {
  const cases: [number, string][] = [
    [0, 'aucun participant'],
    [1, `1${NB}participant`],
    [2, `2${NB}participants`],
    [1200, `1${NN}200${NB}participants`],
  ];
  it.each(cases)('%s → %j', (n, expected) => {
    expect(plural(n, 'participant', 'participants', 'aucun participant')).toBe(expected);
  });
});

describe('formatPercentPpm (parts per million)', () => {
  const cases: [number, string][] = [
    [0, `0${NB}%`],
    [164040, `16,404${NB}%`],
    [700000, `70${NB}%`],
    [125000, `12,5${NB}%`],
    [1000000, `100${NB}%`],
    [800000, `80${NB}%`],
    [1, `0,0001${NB}%`],
    [-200000, `${MINUS}20${NB}%`],
  ];
  it.each(cases)('%s → %j', (ppm, expected) => {
    expect(formatPercentPpm(ppm)).toBe(expected);
  });
});
