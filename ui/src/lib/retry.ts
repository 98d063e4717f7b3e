// Which failed saves are tried again, and when. A value the core refused (invalid input,
// a record that no longer exists) would be refused again: it is shown at its field instead.
// A failure of the store or of the IPC (disk, lock, a store not open) may pass later.
import { toApiError, type ErrorCode } from '../api';

/** For every code: is it a failure that is not the adviser's input (tried again)? Typed on
 * the generated union, so a new code must be decided here before the UI compiles. */
export const RETRIED: Readonly<Record<ErrorCode, boolean>> = {
  // The store or the IPC failed: the same value may be taken later.
  storage: true,
  store_unavailable: true,
  internal: true,
  // The value or the record is refused: it would be refused again.
  invalid_input: false,
  not_found: false,
  import_rejected: false,
  // The store cannot be written by this Préau at all: the recovery screen says what to do.
  newer_schema: false,
  corrupt_store: false,
  reference_data: false,
  // The store's key is not in this session's keyring (the recovery screen says so), or
  // the keyring does not answer (« Réessayer » there, once it is unlocked).
  store_key_missing: false,
  keyring_unavailable: false,
  // Not answers to an autosaved edit.
  unsaved_edits: false,
  export_failed: false,
  nothing_to_export: false,
  write_failed: false,
  journal_failed: false,
  pdf_failed: false,
  no_viewer: false,
  no_printer: false,
  print_failed: false,
  busy: false,
  revoked: false,
  not_enrolled: false,
  offline: false,
  invalid_enrollment_code: false,
  sync_refused: false,
  token_expired: false,
};

export function isRetryable(error: unknown): boolean {
  return RETRIED[toApiError(error).code];
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
