import { describe, expect, it } from 'vitest';
import { SaveTracker, type Waiting } from './saveTracker.svelte';

const STORAGE = { code: 'storage', message: 'L’enregistrement a échoué (erreur de stockage).' };
const INVALID = { code: 'invalid_input', message: 'Adresse e-mail invalide.', field: 'email' };

describe('SaveTracker', () => {
  it('says « saved » only when no record is saving, failing, refused or journaled', () => {
    let waiting: Waiting[] = [];
    const t = new SaveTracker(() => waiting);
    expect(t.overall.state).toBe('saved');
    t.update('a', 'saving');
    expect(t.overall.state).toBe('saving');
    t.update('a', 'saved');
    expect(t.allSaved).toBe(true);
    // Still in the journal (its removal not seen yet, or left by a previous run).
    waiting = [{ error: null }];
    expect(t.overall.state).toBe('saving');
    waiting = [{ error: 'L’enregistrement a échoué (erreur de stockage).' }];
    expect(t.overall).toMatchObject({ state: 'retrying', message: 'L’enregistrement a échoué (erreur de stockage).' });
    waiting = [];
    expect(t.allSaved).toBe(true);
  });

  it('a refusal wins over a retry, which wins over a save in progress', () => {
    const t = new SaveTracker();
    t.update('a', 'saving');
    t.update('b', 'retrying', STORAGE);
    expect(t.overall).toMatchObject({ state: 'retrying', message: STORAGE.message });
    t.update('c', 'error', INVALID);
    expect(t.overall).toMatchObject({ state: 'error', message: INVALID.message });
    t.remove('c');
    t.update('b', 'saved');
    expect(t.overall.state).toBe('saving');
    t.update('a', 'saved');
    expect(t.overall.state).toBe('saved');
  });
});
