import { describe, expect, it } from 'vitest';
import type { ProposalStatus, VisitRow } from '../api';
import {
  DEFAULT_SORT,
  daysBetween,
  filterVisits,
  monthsOf,
  NO_FILTER,
  PROPOSAL_STATES,
  sortVisits,
  stateLabel,
  stateOf,
  toFollowUp,
  UNTOLD,
  type ProposalState,
} from './visitList';

let next = 0;
function row(
  commune: string,
  at: string,
  status: ProposalStatus | null = null,
  {
    schools = [] as string[],
    participants = [] as string[],
    validUntil = null as string | null,
    scenario = null as string | null,
  } = {},
): VisitRow {
  next += 1;
  return {
    visit: {
      id: `v${String(next).padStart(4, '0')}`,
      commune_insee: '80620',
      commune_name: commune,
      scheduled_at: at,
      participant_count: participants.length,
      school_names: schools,
    },
    participants,
    proposal:
      status === null
        ? null
        : { status, reference: null, valid_until: validUntil, decided_on: null, accepted_scenario: scenario },
  };
}

const NOW = '2026-12-07T10:00';

const rows = [
  row('Péronne', '2026-12-10T18:00:00', 'emise', {
    schools: ['École élémentaire Jean Jaurès'],
    participants: ['Marie Dupont'],
    validUntil: '2026-12-20',
  }),
  row('Ham', '2026-11-02T09:00:00', 'acceptee', { participants: ['Paul Martin'] }),
  row('Albert', '2026-12-01T14:00:00', null, { schools: ['École maternelle Les Tilleuls'] }),
  row('Éclusier-Vaux', '2027-01-05T10:00:00', 'brouillon'),
  row('Ham', '2026-10-15T09:00:00', 'expiree'),
  row('Amiens', '2026-11-20T09:00:00', 'refusee'),
];

describe('acceptée (scénario X)', () => {
  const accepted = [
    row('Péronne', '2026-12-10T18:00:00', 'acceptee', { scenario: 'B' }),
    row('Ham', '2026-11-02T09:00:00', 'acceptee', { scenario: 'A' }),
    row('Albert', '2026-12-01T14:00:00', 'acceptee'),
    row('Nesle', '2026-12-02T14:00:00', 'acceptee', { scenario: 'B' }),
    row('Amiens', '2026-11-20T09:00:00', 'refusee'),
  ];

  it('counts the accepted visits per scenario and keeps those of the one chosen', () => {
    const all = filterVisits(accepted, NO_FILTER, NOW);
    expect(all.byScenario).toEqual([
      { key: 'A', count: 1 },
      { key: 'B', count: 2 },
      { key: UNTOLD, count: 1 },
    ]);
    const b = filterVisits(accepted, { ...NO_FILTER, state: 'acceptee', scenario: 'B' }, NOW);
    expect(b.rows.map((r) => r.visit.commune_name)).toEqual(['Péronne', 'Nesle']);
    const untold = filterVisits(accepted, { ...NO_FILTER, state: 'acceptee', scenario: UNTOLD }, NOW);
    expect(untold.rows.map((r) => r.visit.commune_name)).toEqual(['Albert']);
    // The scenario narrows « acceptée » only.
    const refused = filterVisits(accepted, { ...NO_FILTER, state: 'refusee', scenario: 'B' }, NOW);
    expect(refused.rows.map((r) => r.visit.commune_name)).toEqual(['Amiens']);
  });

  it('labels an accepted visit with its scenario', () => {
    expect(stateLabel(accepted[0])).toBe('Acceptée (scénario\u00a0B)');
    expect(stateLabel(accepted[2])).toBe('Acceptée');
    expect(stateLabel(accepted[4])).toBe('Refusée');
  });
});

describe('filterVisits', () => {
  it('keeps every visit with no filter, most recent first, and counts each state', () => {
    const r = filterVisits(rows, NO_FILTER, NOW);
    expect(r.rows.map((x) => x.visit.commune_name)).toEqual(['Éclusier-Vaux', 'Péronne', 'Albert', 'Amiens', 'Ham', 'Ham']);
    expect(r.byState).toEqual({ aucune: 1, brouillon: 1, emise: 1, acceptee: 1, refusee: 1, expiree: 1 });
    expect(r.beforeState).toBe(6);
  });

  it('searches commune, school and participant, without accents or case', () => {
    const names = (query: string) => filterVisits(rows, { ...NO_FILTER, query }, NOW).rows.map((x) => x.visit.commune_name);
    expect(names('eclusier')).toEqual(['Éclusier-Vaux']);
    expect(names('jaures')).toEqual(['Péronne']);
    expect(names('TILLEULS')).toEqual(['Albert']);
    expect(names('paul')).toEqual(['Ham']);
    expect(names('ham 2026')).toEqual([]);
    expect(names('  ')).toHaveLength(6);
  });

  it('splits upcoming and past at now, and filters a month', () => {
    const upcoming = filterVisits(rows, { ...NO_FILTER, when: 'upcoming' }, NOW).rows;
    expect(upcoming.map((x) => x.visit.commune_name)).toEqual(['Éclusier-Vaux', 'Péronne']);
    const past = filterVisits(rows, { ...NO_FILTER, when: 'past' }, NOW).rows;
    expect(past).toHaveLength(4);
    const december = filterVisits(rows, { ...NO_FILTER, month: '2026-12' }, NOW);
    expect(december.rows.map((x) => x.visit.commune_name)).toEqual(['Péronne', 'Albert']);
    expect(december.byState.emise).toBe(1);
    expect(december.byState.acceptee).toBe(0);
  });

  it('filters a state; the counts stay those of every state under the other filters', () => {
    const r = filterVisits(rows, { ...NO_FILTER, state: 'aucune', when: 'past' }, NOW);
    expect(r.rows.map((x) => x.visit.commune_name)).toEqual(['Albert']);
    expect(r.byState.expiree).toBe(1);
    expect(r.beforeState).toBe(4);
  });

  it('keeps exactly the rows of each state, for many random lists', () => {
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const states = PROPOSAL_STATES.map((s) => s.key);
    for (let round = 0; round < 50; round += 1) {
      const list = Array.from({ length: rnd(60) }, () => {
        const s = states[rnd(states.length)] as ProposalState;
        const day = String(1 + rnd(28)).padStart(2, '0');
        return row(`C${rnd(9)}`, `2026-${String(1 + rnd(12)).padStart(2, '0')}-${day}T10:00:00`, s === 'aucune' ? null : s);
      });
      const all = filterVisits(list, NO_FILTER, NOW);
      let total = 0;
      for (const s of states) {
        const only = filterVisits(list, { ...NO_FILTER, state: s }, NOW);
        expect(only.rows.every((x) => stateOf(x) === s)).toBe(true);
        expect(only.rows).toHaveLength(all.byState[s]);
        total += only.rows.length;
      }
      expect(total).toBe(list.length);
    }
  });
});

describe('sortVisits', () => {
  it('sorts by commune (French order), date or state, either way', () => {
    const communes = sortVisits(rows, { key: 'commune', ascending: true }).map((x) => x.visit.commune_name);
    expect(communes).toEqual(['Albert', 'Amiens', 'Éclusier-Vaux', 'Ham', 'Ham', 'Péronne']);
    const oldest = sortVisits(rows, { key: 'date', ascending: true })[0];
    expect(oldest.visit.scheduled_at).toBe('2026-10-15T09:00:00');
    const states = sortVisits(rows, { key: 'state', ascending: true }).map(stateOf);
    expect(states).toEqual(['aucune', 'brouillon', 'emise', 'acceptee', 'refusee', 'expiree']);
    expect(sortVisits(rows, DEFAULT_SORT)[0].visit.commune_name).toBe('Éclusier-Vaux');
  });
});

describe('monthsOf', () => {
  it('lists the months with visits, the latest first, in French', () => {
    expect(monthsOf(rows)).toEqual([
      { key: '2027-01', label: 'janvier\u00a02027' },
      { key: '2026-12', label: 'décembre\u00a02026' },
      { key: '2026-11', label: 'novembre\u00a02026' },
      { key: '2026-10', label: 'octobre\u00a02026' },
    ]);
  });
});

describe('toFollowUp', () => {
  it('keeps issued proposals expiring within 15 days, the soonest first', () => {
    const list = [
      row('Loin', '2026-11-01T10:00:00', 'emise', { validUntil: '2026-12-23' }),
      row('Demain', '2026-11-01T10:00:00', 'emise', { validUntil: '2026-12-08' }),
      row('Aujourd’hui', '2026-11-01T10:00:00', 'emise', { validUntil: '2026-12-07' }),
      row('Quinze', '2026-11-01T10:00:00', 'emise', { validUntil: '2026-12-22' }),
      row('Acceptée', '2026-11-01T10:00:00', 'acceptee', { validUntil: '2026-12-10' }),
      row('Expirée', '2026-11-01T10:00:00', 'expiree', { validUntil: '2026-12-01' }),
      row('Brouillon', '2026-11-01T10:00:00', 'brouillon'),
    ];
    expect(toFollowUp(list, '2026-12-07').map((x) => x.visit.commune_name)).toEqual(['Aujourd’hui', 'Demain', 'Quinze']);
  });

  it('counts days across months and years', () => {
    expect(daysBetween('2026-12-25', '2027-01-09')).toBe(15);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2026-12-07', '2026-12-06')).toBe(-1);
  });
});
