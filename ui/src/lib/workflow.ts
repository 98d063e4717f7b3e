// Pure helpers of the visit stepper: steps, catalogue search, rule statuses, price notices,
// counts typed in text fields. No state, no IPC: unit-tested in workflow.test.ts.
import type {
  CatalogueItem,
  FundingPlan,
  LineView,
  RuleStatus,
  Scenario,
  Suggestion,
} from '../api';
import { formatMoney, NBSP } from './format';

export const STEPS = [
  { key: 'participants', label: 'Participants', upcoming: false },
  { key: 'projet', label: 'Projet pédagogique', upcoming: false },
  { key: 'situation', label: 'Situation', upcoming: false },
  { key: 'equipements', label: 'Équipements', upcoming: false },
  { key: 'financement', label: 'Financement', upcoming: false },
  { key: 'proposition', label: 'Proposition', upcoming: false },
] as const;

export type StepKey = (typeof STEPS)[number]['key'];

/**
 * The step Alt+1 … Alt+6 goes to, or null. Read from the key's place (`code`), not the
 * character: on a French keyboard the digits are shifted (« & é " ' ( - »).
 */
export function stepForShortcut(e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'code'>): StepKey | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code);
  if (!m) return null;
  return STEPS[Number(m[1]) - 1]?.key ?? null;
}

/** Lower case without accents, for search: « Écran » → « ecran ». */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Catalogue items matching every word of `query` in their reference, category or
 * designation (accents and case ignored). An exact reference comes first, then references
 * starting with the query, then designations starting with it (« tablette » → the tablet),
 * then designations holding every word (« coque … pour tablette »), then the rest (found
 * through the category); each group in catalogue order. An empty query gives nothing.
 */
export function searchCatalogue(items: CatalogueItem[], query: string): CatalogueItem[] {
  const words = fold(query).split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const q = words.join(' ');
  const ranked: { item: CatalogueItem; rank: number; index: number }[] = [];
  items.forEach((item, index) => {
    const ref = fold(item.reference);
    const haystack = `${ref} ${fold(item.category)} ${fold(item.designation)}`;
    if (!words.every((w) => haystack.includes(w))) return;
    const designation = fold(item.designation);
    const rank =
      ref === q
        ? 0
        : ref.startsWith(q)
          ? 1
          : designation.startsWith(q)
            ? 2
            : words.every((w) => designation.includes(w))
              ? 3
              : 4;
    ranked.push({ item, rank, index });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map((r) => r.item);
}

const STATUS_LABELS: Record<RuleStatus, string> = {
  sourced: 'sourcé',
  to_check: 'à vérifier',
  estimated: 'estimé',
};

/** « sourcé », « à vérifier », « estimé » (the labels of the core's `RuleStatus`). */
export function ruleStatusLabel(status: RuleStatus): string {
  return STATUS_LABELS[status];
}

const STATUS_WEIGHT: Record<RuleStatus, number> = { sourced: 0, estimated: 1, to_check: 2 };

/** The status that needs the most care among `statuses`, or null when there is none. */
export function worstStatus(statuses: RuleStatus[]): RuleStatus | null {
  let worst: RuleStatus | null = null;
  for (const s of statuses) {
    if (worst === null || STATUS_WEIGHT[s] > STATUS_WEIGHT[worst]) worst = s;
  }
  return worst;
}

/** The label to show beside a figure, or null when its rules are all sourced. */
export function flagOf(status: RuleStatus | null): string | null {
  return status === null || status === 'sourced' ? null : ruleStatusLabel(status);
}

export interface PlanFlags {
  /** Beside the total of aids: the worst status of the aids that bring money. */
  aid: string | null;
  /** Beside the FCTVA. */
  fctva: string | null;
  /** Beside the remaining cost, which is computed from both. */
  remaining: string | null;
}

/** Which figures of a plan come from a rule still « à vérifier » (or « estimé »). */
export function planFlags(plan: FundingPlan): PlanFlags {
  const aid = worstStatus(plan.aids.filter((a) => a.amount_cents > 0).map((a) => a.status));
  const fctva = plan.fctva_cents > 0 ? plan.fctva_status : null;
  const remaining = worstStatus([aid, fctva].filter((s): s is RuleStatus => s !== null));
  return { aid: flagOf(aid), fctva: flagOf(fctva), remaining: flagOf(remaining) };
}

/** What a line's price notice says, or null when its price is the catalogue's. */
export function priceNoticeText(view: Pick<LineView, 'price_notice' | 'current_price_cents'>): string | null {
  switch (view.price_notice) {
    case null:
      return null;
    case 'withdrawn':
      return 'Retiré du catalogue';
    case 'newer_catalogue':
      return view.current_price_cents === null
        ? `Catalogue plus récent${NBSP}: même prix`
        : `Catalogue plus récent${NBSP}: ${formatMoney(view.current_price_cents)}`;
  }
}

export type CountResult = { ok: true; value: number | null } | { ok: false; message: string };

/**
 * A count typed in a text field: "" → null (not known), "24" or "1 200" → the number,
 * anything else → a French message. Upper bounds are the core's to check.
 */
export function parseCount(text: string, label: string): CountResult {
  const t = text.replace(/[\s\u00a0\u202f]/g, '');
  if (t === '') return { ok: true, value: null };
  if (!/^\d{1,7}$/.test(t)) {
    return { ok: false, message: `${label}${NBSP}: un nombre entier positif est attendu (exemple${NBSP}: 24).` };
  }
  return { ok: true, value: Number(t) };
}

/** Identifies a suggestion within a scenario (the core leaves out what is already there). */
export function suggestionKey(s: Pick<Suggestion, 'school_id' | 'class_id' | 'reference'>): string {
  return `${s.school_id}|${s.class_id ?? ''}|${s.reference}`;
}

/** « Scénario A », « Scénario B — Équipement progressif ». */
export function scenarioName(s: Pick<Scenario, 'label' | 'title'>): string {
  const title = s.title.trim();
  return title === '' ? `Scénario ${s.label}` : `Scénario ${s.label} — ${title}`;
}

/**
 * The objectives a line may still point to: its ids that exist in its school's project,
 * in the order the line has them.
 */
export function keptObjectives(ids: string[], existing: { id: string }[]): string[] {
  const known = new Set(existing.map((o) => o.id));
  return ids.filter((id) => known.has(id));
}
