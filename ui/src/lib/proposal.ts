// Pure helpers of the « Proposition » step: which scenarios a draft proposes, the validity
// field, how an issued proposal is named and labelled. No state, no IPC: unit-tested in
// proposal.test.ts.
import type {
  Acceptance,
  Civility,
  OfferedScenario,
  ProposalStatus,
  ProposalSummary,
  RuleStatus,
  ScenarioView,
} from '../api';
import { NBSP, formatDate } from './format';

export const CIVILITIES: { value: Civility; label: string }[] = [
  { value: 'madame', label: 'Madame la Maire' },
  { value: 'monsieur', label: 'Monsieur le Maire' },
  { value: 'inconnue', label: 'Non précisé' },
];

/** A scenario as the step lists it: its id and how many lines it has. */
export interface ScenarioChoice {
  id: string;
  lines: number;
}

/**
 * The scenarios a draft proposes. The core stores an empty list for « every scenario
 * that has lines »; the checkboxes show what that means. Ids of scenarios deleted since
 * are dropped.
 */
export function proposedIds(stored: string[], scenarios: ScenarioChoice[]): string[] {
  const known = new Set(scenarios.map((s) => s.id));
  const kept = stored.filter((id) => known.has(id));
  if (kept.length > 0) return kept;
  return scenarios.filter((s) => s.lines > 0).map((s) => s.id);
}

export type ToggleResult = { ok: true; ids: string[] } | { ok: false; message: string };

/**
 * The scenarios proposed after (un)ticking `id`, in the visit's order. At least one must
 * stay: an empty list would mean « all » to the core.
 */
export function toggleScenario(
  current: string[],
  id: string,
  checked: boolean,
  scenarios: ScenarioChoice[],
): ToggleResult {
  const set = new Set(current);
  if (checked) set.add(id);
  else set.delete(id);
  const ids = scenarios.map((s) => s.id).filter((sid) => set.has(sid));
  if (ids.length === 0) {
    return { ok: false, message: `Proposez au moins un scénario${NBSP}: cochez-en un autre avant de décocher celui-ci.` };
  }
  return { ok: true, ids };
}

export type DaysResult = { ok: true; value: number } | { ok: false; message: string };

/** The validity typed by the adviser: a whole number of days from 1 to 365. */
export function parseValidityDays(text: string): DaysResult {
  const t = text.replace(/[\s\u00a0\u202f]/g, '');
  if (!/^\d{1,3}$/.test(t) || Number(t) < 1 || Number(t) > 365) {
    return { ok: false, message: `La durée de validité va de 1 à 365${NBSP}jours.` };
  }
  return { ok: true, value: Number(t) };
}

/** « 2026-K7Q3M-0001 rév. 2 », or « Brouillon » before the first issue (as the core says). */
export function reference(p: Pick<ProposalSummary, 'number' | 'revision'>): string {
  return p.number === null ? 'Brouillon' : `${p.number} rév.${NBSP}${p.revision}`;
}

/** The first 16 hex digits of a SHA-256, grouped by four for reading aloud. */
export function shortSha(sha: string | null): string {
  if (!sha) return '—';
  return (sha.slice(0, 16).match(/.{1,4}/g) ?? []).join(NBSP);
}

/** The colour family of a status badge. */
export function statusTone(status: ProposalStatus): 'draft' | 'issued' | 'ok' | 'refused' | 'expired' {
  switch (status) {
    case 'brouillon':
      return 'draft';
    case 'emise':
      return 'issued';
    case 'acceptee':
      return 'ok';
    case 'refusee':
      return 'refused';
    case 'expiree':
      return 'expired';
  }
}

/** Whether the mayor's answer can still be recorded. */
export function canDecide(status: ProposalStatus): boolean {
  return status === 'emise' || status === 'expiree';
}

/** The scenario an accepted proposal records, as the proposal showed it. */
export function acceptedScenario(p: Pick<ProposalSummary, 'accepted_scenario_id' | 'offered'>): OfferedScenario | null {
  return p.offered.find((s) => s.id === p.accepted_scenario_id) ?? null;
}

/**
 * « Acceptée — scénario B, délibération du 12 janvier 2027 », « Refusée »: the status with
 * what the answer recorded (the core's `ProposalSummary::answer_text` says the same).
 */
export function answerText(
  p: Pick<ProposalSummary, 'status_label' | 'accepted_scenario_id' | 'offered' | 'deliberated_on'>,
): string {
  const parts: string[] = [];
  const scenario = acceptedScenario(p);
  if (scenario) parts.push(`scénario${NBSP}${scenario.label}`);
  if (p.deliberated_on) parts.push(`délibération du ${formatDate(p.deliberated_on)}`);
  return parts.length === 0 ? p.status_label : `${p.status_label} — ${parts.join(', ')}`;
}

/** The scenario « Acceptée » starts on: the only one shown, else none (the adviser picks). */
export function preselectedScenario(p: Pick<ProposalSummary, 'offered'>): string | null {
  return p.offered.length === 1 ? p.offered[0].id : null;
}

export type AcceptanceResult = { ok: true; acceptance: Acceptance } | { ok: false; field: string; message: string };

/**
 * The acceptance to send, from the radio chosen and the deliberation date (ISO, '' when
 * left empty). A proposal showing several scenarios needs one chosen; the core checks
 * the rest (one of those shown, the date's range) and says so at its field.
 */
export function acceptanceOf(
  p: Pick<ProposalSummary, 'offered'>,
  scenarioId: string | null,
  deliberatedOn: string,
): AcceptanceResult {
  if (scenarioId === null && p.offered.length > 1) {
    return {
      ok: false,
      field: 'accepted_scenario_id',
      message: `Indiquez le scénario que le maire a accepté${NBSP}: la proposition en présente plusieurs.`,
    };
  }
  return { ok: true, acceptance: { scenario_id: scenarioId, deliberated_on: deliberatedOn === '' ? null : deliberatedOn } };
}

/** The issued revisions, newest first (the draft is shown apart). */
export function issuedOf(list: ProposalSummary[]): ProposalSummary[] {
  return list.filter((p) => p.status !== 'brouillon').sort((a, b) => b.revision - a.revision);
}

/** The draft among a visit's proposals, if there is one. */
export function draftOf(list: ProposalSummary[]): ProposalSummary | null {
  return list.find((p) => p.status === 'brouillon') ?? null;
}

/** The address typed one line per line: trimmed, blank lines dropped. */
export function linesFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** A PNG's bytes as a `data:` URL for an <img> (the CSP allows `data:` images). */
export function pngDataUrl(bytes: ArrayLike<number>): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...Array.from({ length: Math.min(CHUNK, bytes.length - i) }, (_, k) => bytes[i + k]));
  }
  return `data:image/png;base64,${btoa(binary)}`;
}

/** Bytes of a file the adviser picked, checked before they are sent: a PNG of 512 Ko at most. */
export function checkLogo(bytes: Uint8Array): string | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) return 'Le logo doit être une image PNG.';
  if (bytes.length > 512 * 1024) return 'Le logo est trop lourd (512 Ko au plus).';
  return null;
}

/** A line serving no objective, as the issue confirmation lists it. */
export interface UnjustifiedLine {
  scenario: string;
  designation: string;
  reference: string;
  quantity: number;
}

/** A funding rule whose figures are not sourced yet, and the scenarios it funds. */
export interface UncheckedRule {
  name: string;
  status: RuleStatus;
  scenarios: string[];
}

export interface IssueChecks {
  unjustified: UnjustifiedLine[];
  rules: UncheckedRule[];
}

/**
 * What the adviser must have seen before a proposal is frozen, over the scenarios it
 * proposes: the lines serving no objective, and the funding rules « à vérifier » (or
 * « estimé ») that bring money to it, FCTVA included.
 */
export function issueChecks(views: ScenarioView[], proposed: string[], name: (view: ScenarioView) => string): IssueChecks {
  const unjustified: UnjustifiedLine[] = [];
  const rules = new Map<string, UncheckedRule>();
  const flag = (key: string, ruleName: string, status: RuleStatus, scenario: string) => {
    const rule = rules.get(key) ?? { name: ruleName, status, scenarios: [] };
    if (!rule.scenarios.includes(scenario)) rule.scenarios.push(scenario);
    rules.set(key, rule);
  };
  for (const view of views) {
    if (!proposed.includes(view.scenario.id)) continue;
    const scenario = name(view);
    for (const l of view.lines) {
      if (!l.justified) {
        unjustified.push({ scenario, designation: l.line.designation, reference: l.line.reference, quantity: l.line.quantity });
      }
    }
    for (const aid of view.plan.aids) {
      if (aid.amount_cents > 0 && aid.status !== 'sourced') flag(aid.programme_id, aid.name, aid.status, scenario);
    }
    if (view.plan.fctva_cents > 0 && view.plan.fctva_status !== 'sourced') flag('fctva', 'FCTVA', view.plan.fctva_status, scenario);
  }
  return { unjustified, rules: [...rules.values()] };
}
