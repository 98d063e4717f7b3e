import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../api';
import { backoffDelay, isRetryable, RETRIED } from './retry';

describe('isRetryable', () => {
  it('tries again only what is not the adviser’s input: the store or the IPC failing', () => {
    const retried = ERROR_CODES.filter((code) => isRetryable({ code, message: 'x' }));
    expect(retried).toEqual(['storage', 'store_unavailable', 'internal']);
  });

  it('decides every code of the Rust enum, and only those', () => {
    expect(Object.keys(RETRIED).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('decides on the code, never on the message', () => {
    const message = 'L’enregistrement a échoué (erreur de stockage).';
    expect(isRetryable({ code: 'storage', message })).toBe(true);
    expect(isRetryable({ code: 'invalid_input', message, field: 'email' })).toBe(false);
  });

  it('takes what is not an IPC error (Tauri’s plain strings, a TypeError) as internal: retried', () => {
    expect(isRetryable('command visit_update not found')).toBe(true);
    expect(isRetryable(new TypeError('invoke is undefined'))).toBe(true);
  });

  it('takes a code this UI does not know as internal', () => {
    expect(isRetryable({ code: 'disk_on_fire' as ErrorCode, message: 'Le disque brûle.' })).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('doubles from 0.5 s to 30 s', () => {
    expect([1, 2, 3, 4, 7, 8, 40].map((n) => backoffDelay(n))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });
});
