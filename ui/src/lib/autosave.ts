// Autosave of one record (a participant row, a visit field): debounced while typing,
// immediate on blur/change, and serialized so that an older save never lands after a
// newer one. While a save is in flight, further changes are coalesced into one pending
// value, sent as soon as the flight lands.

export type SaveState = 'saving' | 'saved' | 'error';

export interface SaverHooks<T, R> {
  /** Called whenever the record's state changes. */
  onState?: (state: SaveState, error?: unknown) => void;
  /** Called after each successful save, with the value that was saved. */
  onSaved?: (value: T, result: R) => void;
}

/** Every saver alive, so the window can save pending edits before it closes. */
const live = new Set<{ flush(): Promise<void> }>();

/** Saves every pending change of every saver; resolves when all are saved. */
export async function flushAll(): Promise<void> {
  await Promise.allSettled([...live].map((saver) => saver.flush()));
}

export class SerialSaver<T, R = unknown> {
  private pending: { value: T } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<void> | null = null;
  private cancelled = false;

  constructor(
    private readonly save: (value: T) => Promise<R>,
    private readonly hooks: SaverHooks<T, R> = {},
    private readonly delay = 400,
  ) {
    live.add(this);
  }

  /** Records a change, saved once typing pauses for `delay` ms. */
  schedule(value: T): void {
    if (this.cancelled) return;
    this.pending = { value };
    this.clearTimer();
    this.hooks.onState?.('saving');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.delay);
  }

  /** Saves `value` (if given) or the pending change now; resolves when all is saved. */
  async flush(value?: T): Promise<void> {
    if (this.cancelled) return;
    if (value !== undefined) {
      this.pending = { value };
      this.hooks.onState?.('saving');
    }
    this.clearTimer();
    this.kick();
    while (this.inflight) {
      await this.inflight;
      if (this.pending && !this.cancelled) {
        this.clearTimer();
        this.kick();
      }
    }
  }

  /** Whether a change is waiting or being saved. */
  get busy(): boolean {
    return this.pending !== null || this.inflight !== null;
  }

  /** Drops a change not yet sent (the record went back to a state not worth saving). */
  discard(): void {
    this.clearTimer();
    this.pending = null;
  }

  /** Drops any change not yet sent and ignores later ones; resolves once nothing is in flight. */
  async cancel(): Promise<void> {
    live.delete(this);
    this.cancelled = true;
    this.clearTimer();
    this.pending = null;
    while (this.inflight) await this.inflight;
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private kick(): void {
    if (this.inflight || !this.pending || this.cancelled) return;
    const { value } = this.pending;
    this.pending = null;
    this.inflight = this.save(value).then(
      (result) => {
        this.hooks.onSaved?.(value, result);
        if (!this.pending && !this.cancelled) this.hooks.onState?.('saved');
      },
      (error: unknown) => {
        // A newer value is waiting: its own save decides what the user sees.
        if (!this.pending && !this.cancelled) this.hooks.onState?.('error', error);
      },
    );
    void this.inflight.finally(() => {
      this.inflight = null;
      // The timer fired while we were in flight: send what accumulated.
      if (this.pending && this.timer === null && !this.cancelled) this.kick();
    });
  }
}
