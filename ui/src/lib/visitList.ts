// The « Visites » list at scale: search (commune, school, participant), filters (à venir /
// passées, month, state of the proposal), counts, sort, and « À relancer » for Accueil.
// Pure functions on the core's `VisitRow`s (the proposal's state, « expirée » included, is
// the core's): no state, no IPC; unit-tested in visitList.test.ts.
import type { ProposalStatus, VisitRow } from '../api';
import { MONTHS } from './format';
import { fold } from './workflow';

/** The state of a visit's proposal, « aucune » when it has none. */
export type ProposalState = 'aucune' | ProposalStatus;

export const PROPOSAL_STATES: { key: ProposalState; label: string }[] = [
  { key: 'aucune', label: 'Aucune' },
  { key: 'brouillon', label: 'Brouillon' },
  { key: 'emise', label: 'Émise' },
  { key: 'acceptee', label: 'Acceptée' },
  { key: 'refusee', label: 'Refusée' },
  { key: 'expiree', label: 'Expirée' },
];

export type When = 'all' | 'upcoming' | 'past';
export type SortKey = 'date' | 'commune' | 'state';

export interface VisitFilter {
  query: string;
  when: When;
  /** "YYYY-MM", or "" for every month. */
  month: string;
  /** null: every state. */
  state: ProposalState | null;
  /**
   * With the state « acceptée »: the label of the scenario accepted (« B »), `UNTOLD` for
   * an acceptance that names none, '' for every one (issue 14's « acceptée (scénario X) »).
   */
  scenario: string;
}

export const NO_FILTER: VisitFilter = { query: '', when: 'all', month: '', state: null, scenario: '' };

/** The scenario filter's key for acceptances recorded without a scenario. */
export const UNTOLD = '?';

/** The label of the scenario an accepted proposal records, `UNTOLD` when it names none. */
export function acceptedScenarioOf(row: VisitRow): string {
  return row.proposal?.accepted_scenario ?? UNTOLD;
}

/** « Acceptée (scénario B) » for an accepted proposal that says which; else the state's label. */
export function stateLabel(row: VisitRow): string {
  const state = stateOf(row);
  const label = PROPOSAL_STATES.find((s) => s.key === state)?.label ?? state;
  const scenario = row.proposal?.accepted_scenario;
  return state === 'acceptee' && scenario ? `${label} (scénario\u00a0${scenario})` : label;
}

export function stateOf(row: VisitRow): ProposalState {
  return row.proposal?.status ?? 'aucune';
}

// Folded once per row: typing in the search box refolds only the query.
const haystacks = new WeakMap<VisitRow, string>();
function haystack(row: VisitRow): string {
  let h = haystacks.get(row);
  if (h === undefined) {
    h = fold([row.visit.commune_name, row.visit.commune_insee, ...row.visit.school_names, ...row.participants].join('\n'));
    haystacks.set(row, h);
  }
  return h;
}

/** Whether `row` is on or after `now` (both local "YYYY-MM-DDTHH:MM…", compared as text). */
function isUpcoming(row: VisitRow, now: string): boolean {
  return row.visit.scheduled_at >= now;
}

/** Every filter but the state: what the state counts are taken on. */
function matchesBut(row: VisitRow, f: VisitFilter, words: string[], now: string): boolean {
  if (f.when === 'upcoming' && !isUpcoming(row, now)) return false;
  if (f.when === 'past' && isUpcoming(row, now)) return false;
  if (f.month !== '' && !row.visit.scheduled_at.startsWith(f.month)) return false;
  if (words.length > 0) {
    const h = haystack(row);
    if (!words.every((w) => h.includes(w))) return false;
  }
  return true;
}

function words(query: string): string[] {
  return fold(query)
    .split(/\s+/)
    .filter((w) => w !== '');
}

export interface Filtered {
  rows: VisitRow[];
  /** Rows per proposal state, under every filter but the state (what each choice would give). */
  byState: Record<ProposalState, number>;
  /** Rows under every filter but the state. */
  beforeState: number;
  /** Accepted rows per scenario label (`UNTOLD` last), under every filter but the state. */
  byScenario: { key: string; count: number }[];
}

/** The rows `f` keeps, sorted, with the counts the filters show. */
export function filterVisits(all: VisitRow[], f: VisitFilter, now: string, sort: Sort = DEFAULT_SORT): Filtered {
  const w = words(f.query);
  const byState = Object.fromEntries(PROPOSAL_STATES.map((s) => [s.key, 0])) as Record<ProposalState, number>;
  const rows: VisitRow[] = [];
  const scenarios = new Map<string, number>();
  let beforeState = 0;
  for (const row of all) {
    if (!matchesBut(row, f, w, now)) continue;
    beforeState += 1;
    const state = stateOf(row);
    byState[state] += 1;
    const accepted = state === 'acceptee' ? acceptedScenarioOf(row) : null;
    if (accepted !== null) scenarios.set(accepted, (scenarios.get(accepted) ?? 0) + 1);
    if (f.state !== null && f.state !== state) continue;
    if (f.state === 'acceptee' && f.scenario !== '' && f.scenario !== accepted) continue;
    rows.push(row);
  }
  const byScenario = [...scenarios]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => Number(a.key === UNTOLD) - Number(b.key === UNTOLD) || a.key.localeCompare(b.key));
  return { rows: sortVisits(rows, sort), byState, beforeState, byScenario };
}

export interface Sort {
  key: SortKey;
  ascending: boolean;
}

/** The most recent date first, as the core lists them. */
export const DEFAULT_SORT: Sort = { key: 'date', ascending: false };

const STATE_ORDER = Object.fromEntries(PROPOSAL_STATES.map((s, i) => [s.key, i])) as Record<ProposalState, number>;
const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

/**
 * Code-unit order, for ISO dates and ids: what `localeCompare` gives on them, many times
 * faster (a sort of 2,000 rows on each keystroke in the search).
 */
function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy; ties keep the date order (most recent first), then the id. */
export function sortVisits(rows: VisitRow[], sort: Sort): VisitRow[] {
  const dir = sort.ascending ? 1 : -1;
  const byDate = (a: VisitRow, b: VisitRow) =>
    byCode(b.visit.scheduled_at, a.visit.scheduled_at) || byCode(a.visit.id, b.visit.id);
  const primary = (a: VisitRow, b: VisitRow): number => {
    switch (sort.key) {
      case 'date':
        return byCode(a.visit.scheduled_at, b.visit.scheduled_at);
      case 'commune':
        return collator.compare(a.visit.commune_name, b.visit.commune_name);
      case 'state':
        return STATE_ORDER[stateOf(a)] - STATE_ORDER[stateOf(b)];
    }
  };
  return [...rows].sort((a, b) => dir * primary(a, b) || byDate(a, b));
}

/** The months that have visits, the latest first: `{ key: "2026-12", label: "décembre 2026" }`. */
export function monthsOf(rows: VisitRow[]): { key: string; label: string }[] {
  const keys = new Set(rows.map((r) => r.visit.scheduled_at.slice(0, 7)));
  return [...keys]
    .filter((k) => /^\d{4}-\d{2}$/.test(k))
    .sort((a, b) => b.localeCompare(a))
    .map((key) => ({ key, label: `${MONTHS[Number(key.slice(5, 7)) - 1]}\u00a0${key.slice(0, 4)}` }));
}

/** Days from `today` to `day` (both "YYYY-MM-DD"), negative when past. */
export function daysBetween(today: string, day: string): number {
  const t = Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1, Number(today.slice(8, 10)));
  const d = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  return Math.round((d - t) / 86_400_000);
}

/** How many days ahead « À relancer » looks. */
export const FOLLOW_UP_DAYS = 15;

/**
 * « À relancer »: issued proposals the mayor has not answered, still valid and expiring
 * within `days` of `today` ("YYYY-MM-DD"), the soonest first.
 */
export function toFollowUp(rows: VisitRow[], today: string, days = FOLLOW_UP_DAYS): VisitRow[] {
  return rows
    .filter((r) => {
      const p = r.proposal;
      if (p?.status !== 'emise' || p.valid_until === null) return false;
      const left = daysBetween(today, p.valid_until);
      return left >= 0 && left <= days;
    })
    .sort(
      (a, b) =>
        (a.proposal?.valid_until ?? '').localeCompare(b.proposal?.valid_until ?? '') ||
        a.visit.commune_name.localeCompare(b.visit.commune_name),
    );
}
