import { describe, expect, it } from 'vitest';
import type { AidLine, FundingPlan, LineView, ScenarioView } from '../api';
import { figures, moveTo, objectivesServed, payers, whoPays } from './presentation';

function aid(id: string, name: string, amount: number, status: AidLine['status'] = 'sourced'): AidLine {
  return {
    programme_id: id,
    name,
    status,
    base: 'ht',
    base_cents: 100000,
    rate_ppm: 500000,
    amount_cents: amount,
    explanation: '',
  };
}

/** A plan whose parts add up as the core's do: remaining = TTC − aids − FCTVA. */
function plan(aids: AidLine[], fctva: number, ttc = 120000): FundingPlan {
  const totalAid = aids.reduce((s, a) => s + a.amount_cents, 0);
  return {
    rules_version: 't',
    total_ht_cents: 100000,
    vat: [],
    total_vat_cents: ttc - 100000,
    total_ttc_cents: ttc,
    aids,
    total_aid_cents: totalAid,
    not_applicable: [aid('NA', 'Pas applicable', 0)],
    not_computed: [],
    capped: false,
    fctva_base_ttc_cents: ttc,
    fctva_rate_ppm: 164040,
    fctva_status: 'sourced',
    fctva_cents: fctva,
    remaining_ht_cents: 0,
    remaining_ttc_cents: ttc - totalAid - fctva,
    yearly_running_ttc_cents: 1000,
    life_years: 5,
    total_cost_over_life_cents: ttc - totalAid - fctva + 4000,
    cost_per_pupil_per_year_cents: 1234,
  };
}

function view(objectiveIds: string[][]): ScenarioView {
  return {
    scenario: { id: 's', label: 'A', title: '' },
    plan: plan([], 0),
    unjustified_lines: 0,
    lines: objectiveIds.map(
      (ids, i) =>
        ({
          line: { id: `l${i}`, objective_ids: ids },
          total_ht_cents: 0,
          justified: ids.length > 0,
          yearly: false,
          price_notice: null,
          current_price_cents: null,
        }) as unknown as LineView,
    ),
  };
}

describe('whoPays', () => {
  it('lists the grants that bring money, the FCTVA and the commune, adding up to the TTC', () => {
    const p = plan([aid('DETR', 'DETR', 30000), aid('ZERO', 'Rien', 0), aid('DEP', 'Département', 12000)], 19685);
    const parts = whoPays(p);
    expect(parts.map((s) => s.key)).toEqual(['aid:DETR', 'aid:DEP', 'fctva', 'commune']);
    expect(parts.reduce((s, x) => s + x.cents, 0)).toBe(p.total_ttc_cents);
  });

  it('leaves out a commune that pays nothing and a plan with no money', () => {
    expect(whoPays(plan([aid('A', 'A', 100000)], 20000)).map((s) => s.key)).toEqual(['aid:A', 'fctva']);
    expect(whoPays(plan([], 0, 0))).toEqual([]);
  });

  it('adds up to the TTC for many random plans', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 500; i += 1) {
      const ttc = rnd(10_000_000);
      const a = rnd(ttc + 1);
      const f = rnd(ttc - a + 1);
      const p = plan([aid('X', 'X', a)], f, ttc);
      expect(whoPays(p).reduce((s, x) => s + x.cents, 0)).toBe(ttc);
      expect(whoPays(p).every((s) => s.cents > 0)).toBe(true);
    }
  });
});

describe('payers', () => {
  it('names each payer once, the commune last', () => {
    const a = plan([aid('DETR', 'DETR', 30000)], 0);
    const b = plan([aid('DEP', 'Département', 1000), aid('DETR', 'DETR', 5)], 100);
    expect(payers([a, b]).map((p) => p.key)).toEqual(['aid:DETR', 'aid:DEP', 'fctva', 'commune']);
  });
});

describe('figures', () => {
  it('takes every figure from the plan and flags those built on a rule to check', () => {
    const p = plan([aid('DETR', 'DETR', 30000, 'to_check')], 19685);
    const f = figures(p);
    expect(f.map((x) => x.key)).toEqual(['ttc', 'aid', 'fctva', 'remaining', 'life', 'pupil']);
    expect(f.map((x) => x.cents)).toEqual([120000, 30000, 19685, 70315, 74315, 1234]);
    expect(f.find((x) => x.key === 'aid')?.flag).toBe('à vérifier');
    expect(f.find((x) => x.key === 'ttc')?.flag).toBeNull();
    expect(f.find((x) => x.key === 'life')?.label).toBe('Coût sur 5\u00a0ans');
  });
});

describe('objectivesServed', () => {
  const objectives = [
    { id: 'o1', label: 'Lire' },
    { id: 'o2', label: 'Compter' },
    { id: 'o3', label: ' ' },
    { id: 'o4', label: 'Lire' },
  ];

  it('lists the objectives some line points to, in the projects’ order, once each', () => {
    expect(objectivesServed(view([['o2'], ['o1', 'o2'], ['o4'], ['gone']]), objectives)).toEqual(['Lire', 'Compter']);
  });

  it('lists nothing for lines serving no objective', () => {
    expect(objectivesServed(view([[], []]), objectives)).toEqual([]);
  });
});

describe('moveTo', () => {
  it.each([
    ['ArrowRight', 0, 3, 1],
    ['ArrowRight', 2, 3, 2],
    ['ArrowLeft', 0, 3, 0],
    ['ArrowLeft', 2, 3, 1],
    ['Home', 2, 3, 0],
    ['End', 0, 3, 2],
    ['a', 0, 3, null],
    ['ArrowRight', 0, 0, null],
  ])('%s from %i of %i → %j', (key, index, count, expected) => {
    expect(moveTo(key as string, index as number, count as number)).toBe(expected);
  });
});
