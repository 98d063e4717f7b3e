// Ctrl + / − / 0 on the whole window: the steps, and which key does what. No state, no
// IPC (the shell applies and saves the zoom: `zoom_set`); unit-tested in zoom.test.ts.

/** The zoom steps, in percent, as browsers offer them. */
export const ZOOM_STEPS = [50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200, 250, 300] as const;

export type ZoomKey = 'in' | 'out' | 'reset';

/**
 * What a key press asks of the zoom, or null: Ctrl (⌘ on a Mac) with « + » or « = »
 * (« + » is Shift+« = » on many layouts, the keypad's « + »), « - » (the keypad's too) or « 0 ».
 */
export function zoomKey(e: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey'>): ZoomKey | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  if (e.key === '+' || e.key === '=' || e.code === 'NumpadAdd') return 'in';
  if (e.key === '-' || e.key === '_' || e.code === 'NumpadSubtract') return 'out';
  if (e.key === '0' || e.code === 'Numpad0' || e.code === 'Digit0') return 'reset';
  return null;
}

/** The next zoom from `percent` (any value, not only a step): the next step up or down, or 100. */
export function nextZoom(percent: number, key: ZoomKey): number {
  if (key === 'reset') return 100;
  if (key === 'in') return ZOOM_STEPS.find((s) => s > percent) ?? ZOOM_STEPS[ZOOM_STEPS.length - 1];
  return [...ZOOM_STEPS].reverse().find((s) => s < percent) ?? ZOOM_STEPS[0];
}
