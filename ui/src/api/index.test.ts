import { describe, expect, it } from 'vitest';
import { ApiError, toApiError } from './index';

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
});
