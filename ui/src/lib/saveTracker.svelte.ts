import type { SaveState } from './autosave';
import { toApiError } from '../api';

export interface EntryStatus {
  state: SaveState;
  message: string | null;
  field: string | null;
  /** Order of the last change, so the newest error is the one shown. */
  order: number;
}

export interface OverallStatus {
  state: SaveState;
  message: string | null;
  savedAt: Date | null;
}

/**
 * The status of every autosaved record of a screen, folded into the one line shown
 * at the top: an error wins (nothing refused must go unnoticed), then a save in
 * progress, then « Enregistré ».
 */
export class SaveTracker {
  entries = $state<Record<string, EntryStatus>>({});
  savedAt = $state<Date | null>(null);
  #order = 0;

  update(key: string, state: SaveState, error?: unknown): void {
    let message: string | null = null;
    let field: string | null = null;
    if (state === 'error') {
      const apiError = toApiError(error);
      message = apiError.message;
      field = apiError.field;
    }
    if (state === 'saved') this.savedAt = new Date();
    this.entries[key] = { state, message, field, order: ++this.#order };
  }

  /** Forgets a record (deleted, or nothing to save any more). */
  remove(key: string): void {
    delete this.entries[key];
  }

  get overall(): OverallStatus {
    const all = Object.values(this.entries);
    const errors = all.filter((e) => e.state === 'error').sort((a, b) => b.order - a.order);
    if (errors.length > 0) {
      return { state: 'error', message: errors[0].message, savedAt: this.savedAt };
    }
    if (all.some((e) => e.state === 'saving')) {
      return { state: 'saving', message: null, savedAt: this.savedAt };
    }
    return { state: 'saved', message: null, savedAt: this.savedAt };
  }
}
