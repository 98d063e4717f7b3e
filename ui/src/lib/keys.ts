// Fewer tab stops, every control still reachable from the keyboard (issue 14):
// - `roving`: a group of controls (the schools of a visit, the typical objectives, a set of
//   check boxes) is one tab stop, the WAI-ARIA « roving tabindex »: Tab enters the group on
//   its current item, ← ↑ → ↓ (and Début, Fin) move between items, Tab leaves it;
// - `rowKeys`: in a row of a list (a participant, a class, an equipment line), Alt+Suppr
//   does what the row's « Supprimer » button does (the button stays for the mouse, off the
//   tab order), and Entrée in one of its text fields or check boxes does what the row offers next (a new
//   row, back to the catalogue search);
// - `schoolSections`: in a step with one section per school (Projet, Situation), Alt+Page
//   suivante and Alt+Page précédente go to the next or previous school's first control,
//   past the rest of the current one (issue 14: 10 Tabs from one school's classes to the next).

/** The item a key moves to in a group of `count` items from `from`; null if not a move. */
export function rovingMove(key: string, from: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
    case 'ArrowRight':
      return (from + 1) % count;
    case 'ArrowUp':
    case 'ArrowLeft':
      return (from - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * The item that keeps the group's tab stop: the one last focused if it is still there; if it
 * went (a typical objective once added), the one now at its place; else the first ticked; else
 * the first.
 */
export function rovingStop(items: readonly { checked: boolean }[], last: { index: number; present: boolean } | null): number {
  if (items.length === 0) return -1;
  if (last !== null) return last.present ? last.index : Math.min(last.index, items.length - 1);
  const checked = items.findIndex((i) => i.checked);
  return checked >= 0 ? checked : 0;
}

export type RowKey = 'delete' | 'enter' | null;

/**
 * What a key pressed in a row asks for; `field` tells whether it came from a text field or a
 * check box (Entrée does nothing of its own there; on a button, a select or in a text area
 * it is theirs).
 */
export function rowKey(event: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>, field: boolean): RowKey {
  if (event.key === 'Delete' && event.altKey && !event.ctrlKey && !event.metaKey) return 'delete';
  if (event.key === 'Enter' && field && !event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) return 'enter';
  return null;
}

/** Text inputs and check boxes (not selects, buttons or text areas). */
function isEntryField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLInputElement)) return false;
  return !['radio', 'button', 'submit', 'reset', 'file', 'hidden'].includes(target.type);
}

function isEnabled(el: HTMLElement): boolean {
  return !(el as HTMLInputElement | HTMLButtonElement).disabled;
}

/** Svelte action: the elements matching `selector` inside `node` are one tab stop (see above). */
export function roving(node: HTMLElement, selector: string) {
  let last: HTMLElement | null = null;
  let lastIndex = 0;

  const items = (): HTMLElement[] => [...node.querySelectorAll<HTMLElement>(selector)].filter(isEnabled);

  function refresh(): void {
    const list = items();
    const present = last !== null && list.includes(last);
    const index = rovingStop(
      list.map((el) => ({ checked: (el as HTMLInputElement).checked === true })),
      last === null ? null : { index: present ? list.indexOf(last) : lastIndex, present },
    );
    const stop = list[index] ?? null;
    // The focused item went (a typical objective once added): the focus goes to the one
    // now at its place rather than back to the top of the page.
    const lost = last !== null && !last.isConnected && (document.activeElement === document.body || document.activeElement === null);
    for (const el of list) el.tabIndex = el === stop ? 0 : -1;
    if (stop && last !== stop) {
      last = stop;
      lastIndex = index;
      if (lost) stop.focus();
    }
  }

  function onFocusIn(event: FocusEvent): void {
    const list = items();
    const index = list.indexOf(event.target as HTMLElement);
    if (index < 0) return;
    last = list[index];
    lastIndex = index;
    for (const el of list) el.tabIndex = el === last ? 0 : -1;
  }

  function onKeyDown(event: KeyboardEvent): void {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const list = items();
    const from = list.indexOf(event.target as HTMLElement);
    if (from < 0) return;
    const to = rovingMove(event.key, from, list.length);
    if (to === null) return;
    event.preventDefault();
    list[to].focus();
  }

  // Marks the group for what reads the page (the keyboard e2e test walks groups with ↓).
  node.dataset.roving = '';
  const observer = new MutationObserver(() => refresh());
  observer.observe(node, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled'] });
  node.addEventListener('focusin', onFocusIn);
  node.addEventListener('keydown', onKeyDown);
  refresh();
  return {
    update(): void {
      refresh();
    },
    destroy(): void {
      observer.disconnect();
      node.removeEventListener('focusin', onFocusIn);
      node.removeEventListener('keydown', onKeyDown);
    },
  };
}

/** Svelte action: Alt+Suppr and Entrée in a row (see above). */
export function rowKeys(node: HTMLElement, handlers: { ondelete?: () => void; onenter?: () => void }) {
  let current = handlers;
  function onKeyDown(event: KeyboardEvent): void {
    const asked = rowKey(event, isEntryField(event.target));
    const handler = asked === 'delete' ? current.ondelete : asked === 'enter' ? current.onenter : undefined;
    if (!handler) return;
    event.preventDefault();
    handler();
  }
  node.addEventListener('keydown', onKeyDown);
  return {
    update(next: typeof handlers): void {
      current = next;
    },
    destroy(): void {
      node.removeEventListener('keydown', onKeyDown);
    },
  };
}

export type SectionMove = 'next' | 'previous' | null;

/** Alt+Page suivante / Alt+Page précédente: to the next or previous school of the step. */
export function sectionKey(event: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): SectionMove {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  if (event.key === 'PageDown') return 'next';
  if (event.key === 'PageUp') return 'previous';
  return null;
}

/** The section a move goes to from section `from` of `count`; null past either end (no wrap). */
export function sectionTarget(move: SectionMove, from: number, count: number): number | null {
  if (move === null || from < 0 || from >= count) return null;
  const to = move === 'next' ? from + 1 : from - 1;
  return to >= 0 && to < count ? to : null;
}

const FOCUSABLE = 'input, select, textarea, button, a[href], [tabindex]';

/** The first control of `section` that Tab would stop on. */
function firstTabStop(section: Element): HTMLElement | null {
  for (const el of section.querySelectorAll<HTMLElement>(FOCUSABLE)) {
    if (el.tabIndex < 0 || !isEnabled(el) || el.getClientRects().length === 0) continue;
    return el;
  }
  return null;
}

/** Svelte action: Alt+Page suivante / précédente between the sections matching `selector`. */
export function schoolSections(node: HTMLElement, selector: string) {
  function onKeyDown(event: KeyboardEvent): void {
    const move = sectionKey(event);
    if (move === null) return;
    const sections = [...node.querySelectorAll(selector)];
    const from = sections.findIndex((s) => s.contains(event.target as Node));
    const to = sectionTarget(move, from, sections.length);
    const stop = to === null ? null : firstTabStop(sections[to]);
    if (!stop) return;
    event.preventDefault();
    stop.focus();
  }
  node.addEventListener('keydown', onKeyDown);
  return {
    destroy(): void {
      node.removeEventListener('keydown', onKeyDown);
    },
  };
}
