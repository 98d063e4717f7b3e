// The journal of edits the store has not acknowledged yet: every value scheduled, in flight
// or failed, by record. It lives in a small file beside the store (written by the shell,
// src-tauri/src/journal.rs), not in the store, which may be what is failing. It is written
// whole, one write at a time, the changes of WRITE_DELAY_MS going together (a change during
// a write goes with the next one), and replayed through the same save commands when the app
// starts: a value survives a restart until the store acknowledges it or the adviser
// abandons it. A value acknowledged within that delay — a quantity keystroke, committed in
// ~20 ms — never costs a disk write: the store has it, durably, already.
import { api, toApiError, type JournalEntry, type JournalState } from '../api';
import { retireSavers, SerialSaver, type JournalSink } from './autosave';
import { backoffDelay, isRetryable } from './retry';
import { isSaveCall, performSave, type SaveCall } from './saveCall';

export type Edit = JournalEntry<SaveCall>;

/** How long changes wait to be written together (well under the 400 ms typing debounce). */
export const WRITE_DELAY_MS = 100;

/** How the journal reaches its file (the shell's commands; a fake in the tests). */
export interface JournalIo {
  read(): Promise<JournalState>;
  write(generation: number, entries: Edit[]): Promise<void>;
}

const shellIo: JournalIo = {
  read: () => api.journalRead(),
  write: (generation, entries) => api.journalWrite(generation, entries),
};

export class EditJournal implements JournalSink {
  /** The edits waiting, by key. */
  entries = $state<Record<string, Edit>>({});
  /** The file could not be read at start (the shell set it aside). */
  problem = $state<string | null>(null);
  /** The last write of the file failed: the edits waiting are only in memory. */
  writeError = $state<string | null>(null);

  #io: JournalIo;
  #generation = 0;
  #rev = 0;
  #writing: Promise<void> | null = null;
  #dirty = false;
  #writeFailures = 0;
  #writeTimer: ReturnType<typeof setTimeout> | null = null;
  /** What the file holds (as JSON), so a write that would change nothing is skipped. */
  #onDisk: string | null = null;
  #loading: Promise<Edit[]> | null = null;

  constructor(io: JournalIo = shellIo) {
    this.#io = io;
  }

  /**
   * Reads the file (once) and sends again the edits a previous run left waiting; answers
   * them. A screen claiming a visit's edits waits for this first.
   */
  start(): Promise<Edit[]> {
    this.#loading ??= this.#read().then((left) => {
      this.replay(left);
      return left;
    });
    return this.#loading;
  }

  async #read(): Promise<Edit[]> {
    let state: JournalState;
    try {
      state = await this.#io.read();
    } catch (e) {
      this.problem = toApiError(e).message;
      return [];
    }
    this.#generation = Math.max(this.#generation, state.generation);
    this.problem = state.problem;
    const loaded: Edit[] = [];
    for (const e of state.entries) {
      if (!isSaveCall(e.call)) continue;
      const edit: Edit = { ...e, call: e.call };
      this.entries[e.key] = edit;
      loaded.push(edit);
    }
    this.#onDisk = JSON.stringify(loaded);
    // Revisions keep growing across runs: a value of this run is newer than any before.
    this.#rev = Math.max(this.#rev, Date.now(), ...loaded.map((e) => e.rev));
    return loaded;
  }

  put(key: string, visitId: string, call: SaveCall): number {
    const rev = ++this.#rev;
    const since = this.entries[key]?.since_ms ?? Date.now();
    this.entries[key] = { key, visit_id: visitId, rev, call, error: null, since_ms: since };
    this.#changed();
    return rev;
  }

  remove(key: string, rev: number): void {
    if (this.entries[key]?.rev !== rev) return;
    delete this.entries[key];
    this.#changed();
  }

  failed(key: string, rev: number, error: unknown): void {
    const entry = this.entries[key];
    if (entry?.rev !== rev) return;
    entry.error = toApiError(error).message;
    this.#changed();
  }

  drop(key: string): void {
    if (!(key in this.entries)) return;
    delete this.entries[key];
    this.#changed();
  }

  /** The edits of a visit still waiting, oldest first. */
  forVisit(visitId: string): Edit[] {
    return Object.values(this.entries)
      .filter((e) => e.visit_id === visitId)
      .sort((a, b) => a.since_ms - b.since_ms || a.rev - b.rev);
  }

  /** Writes now what waits; resolves once the file holds it (or a write of it failed). */
  async written(): Promise<void> {
    if (this.#writeTimer !== null && this.#dirty) {
      clearTimeout(this.#writeTimer);
      this.#writeTimer = null;
      this.#startWriting();
    }
    while (this.#writing) await this.#writing;
  }

  /**
   * A screen is about to show `visitId`: whoever was saving its edits stops (their values
   * stay here), and the screen gets the edits still waiting, to show them in its fields and
   * save them with its own savers.
   */
  async claim(visitId: string): Promise<Edit[]> {
    await this.#loading;
    await retireSavers((_key, visit) => visit === visitId);
    return $state.snapshot(this.forVisit(visitId)) as Edit[];
  }

  /**
   * Sends `edits` again through the same save commands, each by a saver of its own that
   * retries with backoff; one refused for its value stays, marked, until abandoned.
   */
  replay(edits: Edit[]): void {
    for (const edit of edits) {
      const saver = new SerialSaver<SaveCall, unknown>((call) => performSave(call), {}, {
        delay: 0,
        retry: { isRetryable },
        journal: { sink: this, key: edit.key, visitId: edit.visit_id, call: (c) => c, keepRefused: true },
      });
      void saver.flush(edit.call);
    }
  }

  /** The adviser abandons an edit: its saver stops and the value is forgotten. */
  async abandon(key: string): Promise<void> {
    await retireSavers((k) => k === key);
    this.drop(key);
    await this.written();
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#writing || this.#writeTimer !== null) return;
    this.#writeTimer = setTimeout(() => {
      this.#writeTimer = null;
      this.#startWriting();
    }, WRITE_DELAY_MS);
  }

  #startWriting(): void {
    if (this.#writing) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      const entries = $state.snapshot(Object.values(this.entries)) as Edit[];
      const json = JSON.stringify(entries);
      if (json === this.#onDisk) continue;
      const generation = ++this.#generation;
      try {
        await this.#io.write(generation, entries);
        this.#onDisk = json;
        this.#writeFailures = 0;
        this.writeError = null;
      } catch (e) {
        // The disk refused: try again later; what is waiting is still in memory.
        this.#dirty = true;
        this.#writeFailures += 1;
        this.writeError = toApiError(e).message;
        this.#writeTimer = setTimeout(() => {
          this.#writeTimer = null;
          this.#startWriting();
        }, backoffDelay(this.#writeFailures));
        return;
      }
    }
  }
}

/** The app's one journal. */
export const journal = new EditJournal();
