// The codes an IPC error can carry (`ErrorCode`, generated from `preau_core::ErrorCode`),
// as a value the app can check at run time. The table is typed on the generated union, so
// a code added or removed in Rust fails `npm run check` here until it is listed.
import type { ErrorCode } from './types/ErrorCode';

const CODES: Record<ErrorCode, true> = {
  invalid_input: true,
  not_found: true,
  newer_schema: true,
  corrupt_store: true,
  import_rejected: true,
  storage: true,
  reference_data: true,
  store_key_missing: true,
  keyring_unavailable: true,
  store_unavailable: true,
  internal: true,
  unsaved_edits: true,
  export_failed: true,
  nothing_to_export: true,
  write_failed: true,
  journal_failed: true,
  pdf_failed: true,
  no_viewer: true,
  no_printer: true,
  print_failed: true,
  busy: true,
  revoked: true,
  not_enrolled: true,
  offline: true,
  invalid_enrollment_code: true,
  sync_refused: true,
  token_expired: true,
};

/** Every code, in the order of the Rust enum. */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}
