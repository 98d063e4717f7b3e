import { describe, expect, it } from 'vitest';
import type { AidLine, CatalogueItem, FundingPlan, RuleStatus } from '../api';
import {
  flagOf,
  fold,
  keptObjectives,
  parseCount,
  planFlags,
  priceNoticeText,
  ruleStatusLabel,
  scenarioName,
  searchCatalogue,
  stepForShortcut,
  STEPS,
  suggestionKey,
  worstStatus,
} from './workflow';

const NB = '\u00a0';
const NN = '\u202f';

function item(reference: string, category: string, designation: string): CatalogueItem {
  return {
    reference,
    category,
    designation,
    unit: 'unité',
    unit_price_cents: 100,
    price_min_cents: 100,
    price_max_cents: 100,
    vat_rate_bp: 2000,
    lifetime_years: null,
    budget_section: 'investissement',
    socle_strand: null,
    price_status: 'estimé',
    yearly: false,
    supplier: null,
    supplier_reference: null,
    market: null,
    lot: null,
    lot_label: null,
    valid_from: null,
    valid_until: null,
    availability: 'offered',
  };
}

const CATALOGUE = [
  item('ENI75', 'Affichage collectif', 'Écran numérique interactif 75" 4K'),
  item('ENI65', 'Affichage collectif', 'Écran numérique interactif 65" 4K'),
  item('TABL', 'Équipement mobile', 'Tablette élève 10"'),
  item('CHAR16', 'Équipement mobile', 'Chariot de stockage-recharge 16 places'),
  item('BEEPACK', 'Robotique', 'Lot de 6 Bee-Bot/Blue-Bot + station de recharge'),
];

describe('STEPS', () => {
  it('walks the visit in the order of the brief, the proposal still to come', () => {
    expect(STEPS.map((s) => s.key)).toEqual(['participants', 'projet', 'situation', 'equipements', 'financement', 'proposition']);
    expect(STEPS.filter((s) => s.upcoming).map((s) => s.key)).toEqual([]);
  });
});

describe('stepForShortcut', () => {
  const key = (code: string, extra: Partial<KeyboardEvent> = {}) => ({ altKey: true, ctrlKey: false, metaKey: false, code, ...extra });
  it.each([
    [key('Digit1'), 'participants'],
    [key('Digit4'), 'equipements'],
    [key('Numpad6'), 'proposition'],
    [key('Digit7'), null],
    [key('Digit1', { altKey: false }), null],
    [key('Digit1', { ctrlKey: true }), null],
    [key('KeyA'), null],
  ])('%j → %s', (event, expected) => expect(stepForShortcut(event)).toBe(expected));
});

describe('fold', () => {
  const cases: [string, string][] = [
    ['Écran', 'ecran'],
    ['ÉQUIPEMENT Mobile', 'equipement mobile'],
    ['Bee-Bot', 'bee-bot'],
    ['', ''],
  ];
  it.each(cases)('%j → %j', (input, expected) => expect(fold(input)).toBe(expected));
});

describe('searchCatalogue', () => {
  const cases: [string, string[]][] = [
    ['', []],
    ['   ', []],
    ['ENI65', ['ENI65']],
    ['eni', ['ENI75', 'ENI65']],
    ['ecran', ['ENI75', 'ENI65']],
    ['écran 65', ['ENI65']],
    ['mobile', ['TABL', 'CHAR16']],
    ['recharge', ['CHAR16', 'BEEPACK']],
    ['robotique', ['BEEPACK']],
    ['tablette', ['TABL']],
    ['char16', ['CHAR16']],
    ['introuvable', []],
  ];
  it.each(cases)('%j → %j', (query, expected) => {
    expect(searchCatalogue(CATALOGUE, query).map((i) => i.reference)).toEqual(expected);
  });

  it('puts a designation starting with the query before an accessory naming it (issue 14)', () => {
    const catalogue = [
      item('COQUE', 'Postes et mobilité', 'Coque de protection renforcée pour tablette 10"'),
      item('CHAR16', 'Postes et mobilité', 'Chariot de recharge et de rangement 16 tablettes'),
      item('TABL', 'Postes et mobilité', 'Tablette 10" élève, 64 Go, Wi-Fi'),
      item('MOB', 'Tablettes', 'Support mural'),
    ];
    expect(searchCatalogue(catalogue, 'tablette').map((i) => i.reference)).toEqual(['TABL', 'COQUE', 'CHAR16', 'MOB']);
    expect(searchCatalogue(catalogue, 'tablette 10').map((i) => i.reference)).toEqual(['TABL', 'COQUE']);
  });

  it('puts an exact reference first, then references starting with the query', () => {
    const items = [item('XTABL', 'Divers', 'Support'), item('TABLX', 'Divers', 'Autre'), item('TABL', 'Mobile', 'Tablette')];
    expect(searchCatalogue(items, 'tabl').map((i) => i.reference)).toEqual(['TABL', 'TABLX', 'XTABL']);
  });
});

describe('rule statuses', () => {
  const labels: [RuleStatus, string][] = [
    ['sourced', 'sourcé'],
    ['to_check', 'à vérifier'],
    ['estimated', 'estimé'],
  ];
  it.each(labels)('%s → %j', (status, label) => expect(ruleStatusLabel(status)).toBe(label));

  const worst: [RuleStatus[], RuleStatus | null][] = [
    [[], null],
    [['sourced'], 'sourced'],
    [['sourced', 'estimated'], 'estimated'],
    [['estimated', 'to_check', 'sourced'], 'to_check'],
    [['to_check', 'estimated'], 'to_check'],
  ];
  it.each(worst)('worst of %j is %j', (statuses, expected) => expect(worstStatus(statuses)).toBe(expected));

  const flags: [RuleStatus | null, string | null][] = [
    [null, null],
    ['sourced', null],
    ['to_check', 'à vérifier'],
    ['estimated', 'estimé'],
  ];
  it.each(flags)('flag of %j is %j', (status, expected) => expect(flagOf(status)).toBe(expected));
});

function aid(status: RuleStatus, amount: number): AidLine {
  return {
    programme_id: `P-${status}-${amount}`,
    name: 'Programme',
    status,
    base: 'ht',
    base_cents: 100000,
    rate_ppm: 500000,
    amount_cents: amount,
    explanation: '',
  };
}

function plan(aids: AidLine[], fctvaStatus: RuleStatus, fctva: number): FundingPlan {
  return {
    rules_version: 't',
    total_ht_cents: 100000,
    vat: [],
    total_vat_cents: 20000,
    total_ttc_cents: 120000,
    aids,
    total_aid_cents: aids.reduce((s, a) => s + a.amount_cents, 0),
    not_applicable: [],
    not_computed: [],
    capped: false,
    fctva_base_ttc_cents: 120000,
    fctva_rate_ppm: 164040,
    fctva_status: fctvaStatus,
    fctva_cents: fctva,
    remaining_ht_cents: 0,
    remaining_ttc_cents: 0,
    yearly_running_ttc_cents: 0,
    life_years: 5,
    total_cost_over_life_cents: 0,
    cost_per_pupil_per_year_cents: null,
  };
}

describe('planFlags', () => {
  const cases: [string, FundingPlan, { aid: string | null; fctva: string | null; remaining: string | null }][] = [
    ['all sourced', plan([aid('sourced', 500)], 'sourced', 19685), { aid: null, fctva: null, remaining: null }],
    [
      'an aid to check',
      plan([aid('sourced', 500), aid('to_check', 300)], 'sourced', 19685),
      { aid: 'à vérifier', fctva: null, remaining: 'à vérifier' },
    ],
    [
      'an aid to check that brings nothing is not flagged',
      plan([aid('sourced', 500), aid('to_check', 0)], 'sourced', 19685),
      { aid: null, fctva: null, remaining: null },
    ],
    ['FCTVA to check', plan([], 'to_check', 19685), { aid: null, fctva: 'à vérifier', remaining: 'à vérifier' }],
    ['no FCTVA, nothing to flag', plan([], 'to_check', 0), { aid: null, fctva: null, remaining: null }],
    [
      'estimated aid, FCTVA to check',
      plan([aid('estimated', 10)], 'to_check', 5),
      { aid: 'estimé', fctva: 'à vérifier', remaining: 'à vérifier' },
    ],
  ];
  it.each(cases)('%s', (_label, p, expected) => expect(planFlags(p)).toEqual(expected));
});

describe('priceNoticeText', () => {
  const cases: [Parameters<typeof priceNoticeText>[0], string | null][] = [
    [{ price_notice: null, current_price_cents: null }, null],
    [{ price_notice: 'withdrawn', current_price_cents: null }, 'Retiré du catalogue'],
    [{ price_notice: 'newer_catalogue', current_price_cents: 123400 }, `Catalogue plus récent${NB}: 1${NN}234,00${NB}€`],
    [{ price_notice: 'newer_catalogue', current_price_cents: null }, `Catalogue plus récent${NB}: même prix`],
  ];
  it.each(cases)('%j → %j', (view, expected) => expect(priceNoticeText(view)).toBe(expected));
});

describe('parseCount', () => {
  const cases: [string, number | null | 'error'][] = [
    ['', null],
    ['  ', null],
    ['0', 0],
    ['24', 24],
    [' 24 ', 24],
    ['1 200', 1200],
    [`1${NN}200`, 1200],
    ['-3', 'error'],
    ['2,5', 'error'],
    ['douze', 'error'],
    ['12a', 'error'],
    ['99999999', 'error'],
  ];
  it.each(cases)('%j → %j', (text, expected) => {
    const result = parseCount(text, 'Nombre d’élèves');
    if (expected === 'error') {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toMatch(/^Nombre d’élèves\u00a0: un nombre entier positif/);
    } else {
      expect(result).toEqual({ ok: true, value: expected });
    }
  });
});

describe('small helpers', () => {
  it('names scenarios with their title when there is one', () => {
    expect(scenarioName({ label: 'A', title: '' })).toBe('Scénario A');
    expect(scenarioName({ label: 'B', title: '  Progressif ' })).toBe('Scénario B — Progressif');
  });

  it('keys suggestions by school, class and reference', () => {
    expect(suggestionKey({ school_id: 's1', class_id: null, reference: 'TABL' })).toBe('s1||TABL');
    expect(suggestionKey({ school_id: 's1', class_id: 'c2', reference: 'ENI65' })).toBe('s1|c2|ENI65');
  });

  const kept: [string[], string[], string[]][] = [
    [[], ['a'], []],
    [['a', 'b'], ['a', 'b', 'c'], ['a', 'b']],
    [['b', 'gone', 'a'], ['a', 'b'], ['b', 'a']],
    [['gone'], [], []],
  ];
  it.each(kept)('keeps of %j those in %j', (ids, existing, expected) => {
    expect(keptObjectives(ids, existing.map((id) => ({ id })))).toEqual(expected);
  });
});
