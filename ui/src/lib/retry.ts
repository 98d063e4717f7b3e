// Which failed saves are tried again, and when. A value the core refused (invalid input,
// a record that no longer exists) would be refused again: it is shown at its field instead.
// A failure of the store or of the IPC (disk, lock, a store not open) may pass later.
import { toApiError } from '../api';

/** Error codes of failures that are not the adviser's input. */
const TRANSIENT = new Set(['storage', 'store_unavailable', 'internal']);

export function isRetryable(error: unknown): boolean {
  return TRANSIENT.has(toApiError(error).code);
}

export interface Backoff {
  /** The first wait, in ms. */
  base: number;
  /** The longest wait, in ms. */
  max: number;
}

export const SAVE_BACKOFF: Backoff = { base: 500, max: 30_000 };

/** The wait before try number `attempt` + 1 (`attempt` ≥ 1 failures so far): 0.5 s, 1 s, 2 s… 30 s. */
export function backoffDelay(attempt: number, { base, max }: Backoff = SAVE_BACKOFF): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(max, base * 2 ** exponent);
}
