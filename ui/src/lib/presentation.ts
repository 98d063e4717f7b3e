// What « Montrer au maire » shows of a visit, as plain data: the figures of each scenario
// (all computed by the core's plan, none here), who pays what, and the objectives each
// scenario serves. No state, no IPC: unit-tested in presentation.test.ts.
import type { FundingPlan, ScenarioView } from '../api';
import { planFlags } from './workflow';

/** One part of a scenario's total TTC: a grant, the FCTVA or the commune's share. */
export interface PaySegment {
  /** Stable across scenarios, so a funder keeps its colour: `aid:<programme>`, `fctva`, `commune`. */
  key: string;
  label: string;
  cents: number;
}

/**
 * Who pays the total TTC of a plan: each grant that brings money (in the plan's order),
 * the FCTVA, then the commune. The parts add up to the total TTC because the core computes
 * the remaining cost as TTC − aids − FCTVA; a part of 0 € is left out.
 */
export function whoPays(plan: FundingPlan): PaySegment[] {
  const parts: PaySegment[] = plan.aids
    .filter((a) => a.amount_cents > 0)
    .map((a) => ({ key: `aid:${a.programme_id}`, label: a.name, cents: a.amount_cents }));
  if (plan.fctva_cents > 0) parts.push({ key: 'fctva', label: 'FCTVA', cents: plan.fctva_cents });
  if (plan.remaining_ttc_cents > 0) parts.push({ key: 'commune', label: 'Commune', cents: plan.remaining_ttc_cents });
  return parts;
}

/** Every payer of the scenarios, in order of first appearance: one legend for all the charts. */
export function payers(plans: FundingPlan[]): { key: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const plan of plans) for (const s of whoPays(plan)) if (!seen.has(s.key)) seen.set(s.key, s.label);
  // The commune last, wherever it first appeared: it is what the mayor looks for.
  const list = [...seen].map(([key, label]) => ({ key, label }));
  return [...list.filter((p) => p.key !== 'commune'), ...list.filter((p) => p.key === 'commune')];
}

/** One figure of the presentation: its label, the plan's value and its « à vérifier » flag. */
export interface Figure {
  key: 'ttc' | 'aid' | 'fctva' | 'remaining' | 'life' | 'pupil';
  label: string;
  cents: number | null;
  flag: string | null;
}

/** The figures of a scenario, in the order the mayor reads them; all straight from the plan. */
export function figures(plan: FundingPlan): Figure[] {
  const flags = planFlags(plan);
  return [
    { key: 'ttc', label: 'Total TTC', cents: plan.total_ttc_cents, flag: null },
    { key: 'aid', label: 'Aides', cents: plan.total_aid_cents, flag: flags.aid },
    { key: 'fctva', label: 'FCTVA', cents: plan.fctva_cents, flag: flags.fctva },
    { key: 'remaining', label: 'Reste à charge', cents: plan.remaining_ttc_cents, flag: flags.remaining },
    {
      key: 'life',
      label: `Coût sur ${plan.life_years}\u00a0ans`,
      cents: plan.total_cost_over_life_cents,
      flag: flags.remaining,
    },
    { key: 'pupil', label: 'Par élève et par an', cents: plan.cost_per_pupil_per_year_cents, flag: flags.remaining },
  ];
}

/**
 * The labels of the objectives a scenario's lines serve, in the order of the projects
 * (`objectives`: every objective of the visit's schools). An objective no line points to
 * is not listed; an id no longer in a project is ignored.
 */
export function objectivesServed(view: ScenarioView, objectives: { id: string; label: string }[]): string[] {
  const served = new Set(view.lines.flatMap((l) => l.line.objective_ids));
  const labels: string[] = [];
  for (const o of objectives) {
    const label = o.label.trim();
    if (served.has(o.id) && label !== '' && !labels.includes(label)) labels.push(label);
  }
  return labels;
}

/** The scenario shown after a key press among `count` (arrows move, Home and End jump), or null. */
export function moveTo(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
    case 'PageDown':
      return Math.min(index + 1, count - 1);
    case 'ArrowLeft':
    case 'ArrowUp':
    case 'PageUp':
      return Math.max(index - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** The key that opens the presentation (F5, as a slide show). */
export const PRESENT_KEY = 'F5';
