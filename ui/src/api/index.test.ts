import { describe, expect, it } from 'vitest';
// The file ts-rs generates from the Rust enum, as text.
import generated from './types/ErrorCode.ts?raw';
import { ApiError, ERROR_CODES, invalidInput, isErrorCode, toApiError } from './index';

describe('toApiError', () => {
  it('keeps the core’s code, French message, field and details', () => {
    const e = toApiError({
      code: 'import_rejected',
      message: 'Import refusé : 1 ligne invalide.',
      field: null,
      details: [{ line: 3, reason: 'UAI invalide' }],
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('import_rejected');
    expect(e.message).toBe('Import refusé : 1 ligne invalide.');
    expect(e.field).toBeNull();
    expect(e.details).toEqual([{ line: 3, reason: 'UAI invalide' }]);
  });

  it('normalises a missing field and details to null', () => {
    const e = toApiError({ code: 'invalid_input', message: 'Adresse e-mail invalide.', field: 'email' });
    expect(e.field).toBe('email');
    expect(e.details).toBeNull();
  });

  const shellErrors: [string, unknown][] = [
    ['a plain string from Tauri', 'command visit_frobnicate not found'],
    ['an Error', new TypeError("Cannot read properties of undefined (reading 'invoke')")],
    ['something odd', 42],
  ];
  it.each(shellErrors)('wraps %s as a French internal error', (_label, raw) => {
    const e = toApiError(raw);
    expect(e.code).toBe('internal');
    expect(e.message.startsWith('Erreur interne de Préau')).toBe(true);
  });

  it('returns an ApiError unchanged', () => {
    const original = new ApiError({ code: 'not_found', message: 'Élément introuvable (visite).' });
    expect(toApiError(original)).toBe(original);
  });

  it('takes an unknown code as internal, keeping the shell’s French message', () => {
    const e = toApiError({ code: 'frobnicated', message: 'Quelque chose a échoué.', field: 'x' });
    expect(e.code).toBe('internal');
    expect(e.message).toBe('Quelque chose a échoué.');
    expect(e.field).toBe('x');
  });
});

describe('error codes', () => {
  it('lists exactly the union generated from preau_core::ErrorCode', () => {
    const union = /export type ErrorCode = ([^;]+);/.exec(generated)?.[1] ?? '';
    expect(union.split('|').map((s) => s.trim().replace(/"/g, ''))).toEqual([...ERROR_CODES]);
  });

  it('recognises codes, not messages', () => {
    expect(isErrorCode('invalid_input')).toBe(true);
    expect(isErrorCode('Saisie invalide.')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it('builds a local refusal like the core’s', () => {
    expect(toApiError(invalidInput('quantity', 'La quantité doit être un nombre.'))).toMatchObject({
      code: 'invalid_input',
      field: 'quantity',
      message: 'La quantité doit être un nombre.',
    });
  });
});
