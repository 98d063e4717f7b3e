// Autosave of one record (a participant row, a visit field): debounced while typing,
// immediate on blur/change, and serialized so that an older save never lands after a
// newer one. While a save is in flight, further changes are coalesced into one pending
// value, sent as soon as the flight lands.
//
// A save that fails for a reason other than the value itself (the store, the disk) is
// tried again with exponential backoff until it lands; the value stays in the journal of
// edits waiting (see journal.svelte.ts) until the store acknowledges it, so it survives a
// restart of the app. A value the core refuses is shown at its field and not retried.

import { backoffDelay, SAVE_BACKOFF, type Backoff } from './retry';
import type { SaveCall } from './saveCall';

export type SaveState = 'saving' | 'saved' | 'retrying' | 'error';

export interface SaverHooks<T, R> {
  /** Called whenever the record's state changes. */
  onState?: (state: SaveState, error?: unknown) => void;
  /** Called after each successful save, with the value that was saved. */
  onSaved?: (value: T, result: R) => void;
}

/** Where a saver writes the values it has not saved yet (the journal of edits waiting). */
export interface JournalSink {
  /** Records the newest value of `key`; answers its revision. */
  put(key: string, visitId: string, call: SaveCall): number;
  /** The save of revision `rev` was acknowledged: forgets it, unless a newer value came. */
  remove(key: string, rev: number): void;
  /** The save of revision `rev` failed with `error`: it stays, marked. */
  failed(key: string, rev: number, error: unknown): void;
  /** Forgets `key` whatever its revision (the record was deleted, the edit abandoned). */
  drop(key: string): void;
}

export interface JournalLink<T> {
  sink: JournalSink;
  /** Unique over the app: "<visit id>/<record>". One live saver per key. */
  key: string;
  visitId: string;
  /** The value as a save call, to be replayed after a restart. */
  call: (value: T) => SaveCall;
  /**
   * A value the core refused stays in the journal (the adviser discards it) instead of
   * being forgotten: replays after a restart, which have no field to show the refusal at.
   */
  keepRefused?: boolean;
}

export interface SaverOptions<T> {
  /** Typing pause before a scheduled value is sent, in ms. */
  delay?: number;
  /** Which failures are tried again (none when absent) and how long to wait between tries. */
  retry?: { isRetryable: (error: unknown) => boolean; backoff?: Backoff };
  journal?: JournalLink<T>;
}

/** Every saver alive, so the window can save pending edits before it closes. */
const live = new Set<{ flush(): Promise<void> }>();

interface Holder {
  readonly journalKey: string | null;
  readonly journalVisit: string | null;
  retire(): Promise<void>;
  retryNow(): void;
}

/** The saver holding each journal key, so that two never send values of one record. */
const holders = new Map<string, Holder>();

/** Saves every pending change of every saver; resolves when all are saved or failed once. */
export async function flushAll(): Promise<void> {
  await Promise.allSettled([...live].map((saver) => saver.flush()));
}

/**
 * Stops the savers of journal keys matching `which` without forgetting their values (the
 * journal keeps them); resolves once none of them has a save in flight. A screen showing a
 * visit again takes its waiting values over this way.
 */
export async function retireSavers(which: (key: string, visitId: string) => boolean): Promise<void> {
  const chosen = [...holders.values()].filter((s) => s.journalKey !== null && which(s.journalKey, s.journalVisit ?? ''));
  await Promise.all(chosen.map((s) => s.retire()));
}

/** The journal keys a live saver holds. */
export function heldKeys(): Set<string> {
  return new Set(holders.keys());
}

/** Tries again now every saver of `visitId` waiting for its next try. */
export function retryNow(visitId: string): void {
  for (const s of holders.values()) if (s.journalVisit === visitId) s.retryNow();
}

interface Pending<T> {
  value: T;
  /** Its revision in the journal, when there is one. */
  rev: number | null;
  /** A value whose save failed and waits for its next try. */
  failed: boolean;
}

export class SerialSaver<T, R = unknown> implements Holder {
  private pending: Pending<T> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<void> | null = null;
  private cancelled = false;
  /** Failures in a row: the next wait doubles with each. */
  private failures = 0;
  /** Settles once the saver this one replaced has nothing in flight. */
  private gate: Promise<void> | null = null;
  private readonly delay: number;

  constructor(
    private readonly save: (value: T) => Promise<R>,
    private readonly hooks: SaverHooks<T, R> = {},
    private readonly options: SaverOptions<T> = {},
  ) {
    this.delay = options.delay ?? 400;
    live.add(this);
    const key = options.journal?.key;
    if (key !== undefined) {
      const previous = holders.get(key);
      if (previous) {
        // A screen opened again on the same record: the previous saver stops, and nothing
        // is sent here before its last save has landed.
        this.gate = previous.retire().then(() => {
          this.gate = null;
          this.kick();
        });
      }
      holders.set(key, this);
    }
  }

  get journalKey(): string | null {
    return this.options.journal?.key ?? null;
  }

  get journalVisit(): string | null {
    return this.options.journal?.visitId ?? null;
  }

  /** Records a change, saved once typing pauses for `delay` ms. */
  schedule(value: T): void {
    if (this.cancelled) return;
    this.setPending(value);
    this.clearTimer();
    this.hooks.onState?.('saving');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.delay);
  }

  /**
   * Saves `value` (if given) or the pending change now; resolves when all is saved, or
   * when a save failed and waits for its next try (closing the window must not hang).
   */
  async flush(value?: T): Promise<void> {
    if (this.cancelled) return;
    if (value !== undefined) {
      this.setPending(value);
      this.hooks.onState?.('saving');
    }
    this.clearTimer();
    this.kick();
    while (this.inflight || this.gate) {
      await (this.inflight ?? this.gate);
      if (this.pending && !this.pending.failed && !this.cancelled && !this.inflight) {
        this.clearTimer();
        this.kick();
      }
    }
  }

  /** Whether a change is waiting, being saved, or waiting for its next try. */
  get busy(): boolean {
    return this.pending !== null || this.inflight !== null;
  }

  /** Whether a save failed and the value waits for its next try. */
  get retrying(): boolean {
    return this.pending?.failed === true;
  }

  /** Sends the value waiting for its next try now (« Réessayer »). */
  retryNow(): void {
    if (this.cancelled || !this.pending?.failed) return;
    this.clearTimer();
    this.kick();
  }

  /** Drops a change not yet sent (the record went back to a state not worth saving). */
  discard(): void {
    this.clearTimer();
    const journal = this.options.journal;
    if (journal && this.pending?.rev != null) journal.sink.remove(journal.key, this.pending.rev);
    this.pending = null;
  }

  /**
   * Drops any change not yet sent, forgets the record in the journal and ignores later
   * changes (the record is deleted, or the adviser abandons the edit); resolves once
   * nothing is in flight.
   */
  async cancel(): Promise<void> {
    const journal = this.options.journal;
    await this.retire();
    if (journal) journal.sink.drop(journal.key);
  }

  /** Stops this saver but leaves its waiting value in the journal for another to take. */
  async retire(): Promise<void> {
    live.delete(this);
    const key = this.options.journal?.key;
    if (key !== undefined && holders.get(key) === this) holders.delete(key);
    this.cancelled = true;
    this.clearTimer();
    this.pending = null;
    while (this.inflight || this.gate) await (this.inflight ?? this.gate);
  }

  private setPending(value: T): void {
    const journal = this.options.journal;
    const rev = journal ? journal.sink.put(journal.key, journal.visitId, journal.call(value)) : null;
    this.pending = { value, rev, failed: false };
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private kick(): void {
    if (this.inflight || this.gate || !this.pending || this.cancelled) return;
    const { value, rev } = this.pending;
    this.pending = null;
    const journal = this.options.journal;
    this.inflight = this.save(value).then(
      (result) => {
        this.failures = 0;
        // Forgotten before the state says « saved »: the status line reads the journal.
        if (journal && rev !== null) journal.sink.remove(journal.key, rev);
        this.hooks.onSaved?.(value, result);
        if (!this.pending && !this.cancelled) this.hooks.onState?.('saved');
      },
      (error: unknown) => {
        // A newer value is waiting: its own save decides what the user sees.
        if (this.pending || this.cancelled) return;
        const retry = this.options.retry;
        if (retry?.isRetryable(error)) {
          this.failures += 1;
          if (journal && rev !== null) journal.sink.failed(journal.key, rev, error);
          this.pending = { value, rev, failed: true };
          this.timer = setTimeout(() => {
            this.timer = null;
            this.kick();
          }, backoffDelay(this.failures, retry.backoff ?? SAVE_BACKOFF));
          this.hooks.onState?.('retrying', error);
          return;
        }
        // Refused for what it is: shown at the field, not tried again.
        if (journal && rev !== null) {
          if (journal.keepRefused) journal.sink.failed(journal.key, rev, error);
          else journal.sink.remove(journal.key, rev);
        }
        this.hooks.onState?.('error', error);
      },
    );
    void this.inflight.finally(() => {
      this.inflight = null;
      // The timer fired while we were in flight: send what accumulated.
      if (this.pending && this.timer === null && !this.cancelled) this.kick();
    });
  }
}
