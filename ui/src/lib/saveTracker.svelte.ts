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

/** What the journal holds for the screen's visit: edits waiting, and why the last failed. */
export interface Waiting {
  error: string | null;
}

/**
 * The status of every autosaved record of a screen, folded into the one line shown
 * at the top: a refusal wins (the adviser must correct it), then a save failing and being
 * tried again, then a save in progress, then « Enregistré ». Edits still in the journal
 * (`waiting`: scheduled, in flight, failed, or left by a previous run) keep it from saying
 * « Enregistré », whatever the screen's own records say.
 */
export class SaveTracker {
  entries = $state<Record<string, EntryStatus>>({});
  savedAt = $state<Date | null>(null);
  #order = 0;
  #waiting: () => Waiting[];

  constructor(waiting: () => Waiting[] = () => []) {
    this.#waiting = waiting;
  }

  update(key: string, state: SaveState, error?: unknown): void {
    let message: string | null = null;
    let field: string | null = null;
    if (state === 'error' || state === 'retrying') {
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
    const newest = (state: SaveState) =>
      all.filter((e) => e.state === state).sort((a, b) => b.order - a.order)[0] ?? null;
    const error = newest('error');
    if (error) return { state: 'error', message: error.message, savedAt: this.savedAt };
    const waiting = this.#waiting();
    const retrying = newest('retrying');
    const failedBefore = waiting.find((w) => w.error !== null);
    if (retrying || failedBefore) {
      return { state: 'retrying', message: retrying?.message ?? failedBefore?.error ?? null, savedAt: this.savedAt };
    }
    if (all.some((e) => e.state === 'saving') || waiting.length > 0) {
      return { state: 'saving', message: null, savedAt: this.savedAt };
    }
    return { state: 'saved', message: null, savedAt: this.savedAt };
  }

  /** Whether every edit is committed (nothing refused, failing, waiting or journaled). */
  get allSaved(): boolean {
    return this.overall.state === 'saved';
  }
}
