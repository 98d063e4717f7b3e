import { describe, expect, it } from 'vitest';
import type { FundingPlan, LineView, ProposalSummary, RuleStatus, ScenarioView } from '../api';
import {
  acceptanceOf,
  acceptedScenario,
  answerText,
  canDecide,
  checkLogo,
  draftOf,
  issueChecks,
  issuedOf,
  linesFromText,
  parseValidityDays,
  pngDataUrl,
  preselectedScenario,
  proposedIds,
  reference,
  shortSha,
  statusTone,
  toggleScenario,
} from './proposal';

const scenarios = [
  { id: 'a', lines: 3 },
  { id: 'b', lines: 0 },
  { id: 'c', lines: 1 },
];

function summary(over: Partial<ProposalSummary>): ProposalSummary {
  return {
    id: 'p',
    visit_id: 'v',
    number: null,
    revision: 1,
    replaces: null,
    status: 'brouillon',
    status_label: 'Brouillon',
    scenario_ids: [],
    civility: 'inconnue',
    validity_days: 90,
    issued_on: null,
    valid_until: null,
    decided_on: null,
    accepted_scenario_id: null,
    deliberated_on: null,
    offered: [],
    pdf_sha256: null,
    ...over,
  };
}

describe('proposedIds', () => {
  it('reads an empty list as every scenario that has lines', () => {
    expect(proposedIds([], scenarios)).toEqual(['a', 'c']);
  });

  it('keeps a choice, without scenarios deleted since', () => {
    expect(proposedIds(['c', 'gone'], scenarios)).toEqual(['c']);
    expect(proposedIds(['gone'], scenarios)).toEqual(['a', 'c']);
  });
});

describe('toggleScenario', () => {
  it('adds and removes in the visit order', () => {
    expect(toggleScenario(['c'], 'a', true, scenarios)).toEqual({ ok: true, ids: ['a', 'c'] });
    expect(toggleScenario(['a', 'c'], 'a', false, scenarios)).toEqual({ ok: true, ids: ['c'] });
  });

  it('refuses to leave no scenario', () => {
    const r = toggleScenario(['a'], 'a', false, scenarios);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('au moins un scénario');
  });
});

describe('parseValidityDays', () => {
  it('takes 1 to 365 days', () => {
    expect(parseValidityDays(' 90 ')).toEqual({ ok: true, value: 90 });
    expect(parseValidityDays('365')).toEqual({ ok: true, value: 365 });
    expect(parseValidityDays('1')).toEqual({ ok: true, value: 1 });
  });

  it('refuses anything else in French', () => {
    for (const bad of ['', '0', '366', '-3', '12,5', 'trente']) {
      const r = parseValidityDays(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toBe('La durée de validité va de 1 à 365\u00a0jours.');
    }
  });
});

describe('labels', () => {
  it('names a proposal like the core', () => {
    expect(reference(summary({}))).toBe('Brouillon');
    expect(reference(summary({ number: '2026-K7Q3M-0001', revision: 2 }))).toBe('2026-K7Q3M-0001 rév.\u00a02');
  });

  it('shortens a SHA-256 to four groups', () => {
    expect(shortSha('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toBe(
      '0123\u00a04567\u00a089ab\u00a0cdef',
    );
    expect(shortSha(null)).toBe('—');
  });

  it('gives each status a tone and says when an answer can be recorded', () => {
    expect(statusTone('emise')).toBe('issued');
    expect(statusTone('refusee')).toBe('refused');
    expect(canDecide('emise')).toBe(true);
    expect(canDecide('expiree')).toBe(true);
    expect(canDecide('acceptee')).toBe(false);
    expect(canDecide('brouillon')).toBe(false);
  });
});

describe('the mayor’s acceptance (issue 13)', () => {
  const offered = [
    { id: 'sa', label: 'A', title: 'Socle complet' },
    { id: 'sb', label: 'B', title: 'Écrans seulement' },
  ];

  it('words the answer with its scenario and deliberation date', () => {
    const accepted = summary({
      status: 'acceptee',
      status_label: 'Acceptée',
      offered,
      accepted_scenario_id: 'sb',
      deliberated_on: '2027-01-12',
    });
    expect(answerText(accepted)).toBe('Acceptée — scénario\u00a0B, délibération du 12\u00a0janvier\u00a02027');
    expect(acceptedScenario(accepted)?.title).toBe('Écrans seulement');
    expect(answerText({ ...accepted, deliberated_on: null })).toBe('Acceptée — scénario\u00a0B');
    expect(answerText(summary({ status: 'refusee', status_label: 'Refusée', offered }))).toBe('Refusée');
  });

  it('preselects the only scenario and asks for one among several', () => {
    expect(preselectedScenario({ offered: [offered[0]] })).toBe('sa');
    expect(preselectedScenario({ offered })).toBeNull();
    const none = acceptanceOf({ offered }, null, '');
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.field).toBe('accepted_scenario_id');
    expect(acceptanceOf({ offered }, 'sb', '2027-01-12')).toEqual({
      ok: true,
      acceptance: { scenario_id: 'sb', deliberated_on: '2027-01-12' },
    });
    expect(acceptanceOf({ offered: [] }, null, '')).toEqual({
      ok: true,
      acceptance: { scenario_id: null, deliberated_on: null },
    });
  });
});

describe('issuedOf and draftOf', () => {
  const list = [
    summary({ id: 'd', revision: 3 }),
    summary({ id: 'r1', revision: 1, status: 'refusee' }),
    summary({ id: 'r2', revision: 2, status: 'emise' }),
  ];

  it('splits the draft from the issued revisions, newest first', () => {
    expect(draftOf(list)?.id).toBe('d');
    expect(issuedOf(list).map((p) => p.id)).toEqual(['r2', 'r1']);
    expect(draftOf(issuedOf(list))).toBeNull();
  });
});

describe('linesFromText', () => {
  it('keeps one trimmed line per line', () => {
    expect(linesFromText(' 1 rue de la Paix \r\n\n80000 Amiens\n')).toEqual(['1 rue de la Paix', '80000 Amiens']);
    expect(linesFromText('')).toEqual([]);
  });
});

describe('logo helpers', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1]);

  it('makes a data URL from bytes', () => {
    expect(pngDataUrl([104, 105])).toBe('data:image/png;base64,aGk=');
    expect(pngDataUrl(new Uint8Array(70_000)).length).toBeGreaterThan(90_000);
  });

  it('accepts a PNG and refuses anything else or too big', () => {
    expect(checkLogo(png)).toBeNull();
    expect(checkLogo(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('Le logo doit être une image PNG.');
    const big = new Uint8Array(600 * 1024);
    big.set(png);
    expect(checkLogo(big)).toBe('Le logo est trop lourd (512 Ko au plus).');
  });
});

describe('issueChecks', () => {
  const plan = (aids: FundingPlan['aids'], fctvaStatus: RuleStatus, fctva: number): FundingPlan => ({
    rules_version: 't',
    total_ht_cents: 0,
    vat: [],
    total_vat_cents: 0,
    total_ttc_cents: 0,
    aids,
    total_aid_cents: 0,
    not_applicable: [],
    not_computed: [],
    capped: false,
    fctva_base_ttc_cents: 0,
    fctva_rate_ppm: 0,
    fctva_status: fctvaStatus,
    fctva_cents: fctva,
    remaining_ht_cents: 0,
    remaining_ttc_cents: 0,
    yearly_running_ttc_cents: 0,
    life_years: 5,
    total_cost_over_life_cents: 0,
    cost_per_pupil_per_year_cents: null,
  });
  const aid = (id: string, status: RuleStatus, amount: number) => ({
    programme_id: id,
    name: `Programme ${id}`,
    status,
    base: 'ht' as const,
    base_cents: 0,
    rate_ppm: 0,
    amount_cents: amount,
    explanation: '',
  });
  const line = (id: string, justified: boolean, quantity = 2): LineView => ({
    line: {
      id,
      scenario_id: 's',
      school_id: 'e',
      class_id: null,
      catalogue_version: 'demo',
      reference: `REF-${id}`,
      designation: `Article ${id}`,
      category: 'c',
      unit: 'u',
      unit_price_cents: 100,
      vat_rate_bp: 2000,
      budget_section: 'investissement',
      socle_strand: null,
      quantity,
      objective_ids: justified ? ['o'] : [],
    },
    total_ht_cents: 200,
    justified,
    yearly: false,
    price_notice: null,
    current_price_cents: null,
  });
  const view = (id: string, lines: LineView[], p: FundingPlan): ScenarioView => ({
    scenario: { id, label: id.toUpperCase(), title: '' },
    lines,
    plan: p,
    unjustified_lines: lines.filter((l) => !l.justified).length,
  });
  const views = [
    view('a', [line('1', true), line('2', false, 7)], plan([aid('detr', 'to_check', 500), aid('feder', 'sourced', 900)], 'sourced', 10)),
    view('b', [line('3', false)], plan([aid('detr', 'to_check', 300), aid('socle', 'to_check', 0)], 'to_check', 10)),
  ];
  const name = (v: ScenarioView) => `Scénario ${v.scenario.label}`;

  it('lists the unjustified lines and the rules to check of the proposed scenarios only', () => {
    const checks = issueChecks(views, ['a'], name);
    expect(checks.unjustified).toEqual([{ scenario: 'Scénario A', designation: 'Article 2', reference: 'REF-2', quantity: 7 }]);
    expect(checks.rules).toEqual([{ name: 'Programme detr', status: 'to_check', scenarios: ['Scénario A'] }]);
  });

  it('names a rule once with every scenario it funds; a rule bringing nothing is left out', () => {
    const checks = issueChecks(views, ['a', 'b'], name);
    expect(checks.unjustified.map((l) => l.reference)).toEqual(['REF-2', 'REF-3']);
    expect(checks.rules).toEqual([
      { name: 'Programme detr', status: 'to_check', scenarios: ['Scénario A', 'Scénario B'] },
      { name: 'FCTVA', status: 'to_check', scenarios: ['Scénario B'] },
    ]);
  });

  it('says nothing when everything is justified and sourced', () => {
    expect(issueChecks([view('c', [line('4', true)], plan([aid('feder', 'sourced', 1)], 'sourced', 1))], ['c'], name)).toEqual({
      unjustified: [],
      rules: [],
    });
  });
});
