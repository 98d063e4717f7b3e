import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { heldKeys, retireSavers, SerialSaver, type JournalSink, type SaveState, type SaverOptions } from './autosave';
import { isRetryable } from './retry';

/** A fake back end whose saves resolve when the test says so. */
function fakeBackend() {
  const calls: { value: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const stored: string[] = [];
  const save = (value: string) =>
    new Promise<string>((resolve, reject) => {
      calls.push({
        value,
        resolve: () => {
          stored.push(value);
          resolve(value);
        },
        reject,
      });
    });
  return { calls, stored, save };
}

async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('SerialSaver', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces typing into one save', async () => {
    const be = fakeBackend();
    const states: SaveState[] = [];
    const saver = new SerialSaver(be.save, { onState: (s) => states.push(s) }, { delay: 400 });
    saver.schedule('M');
    vi.advanceTimersByTime(100);
    saver.schedule('Ma');
    vi.advanceTimersByTime(100);
    saver.schedule('Mar');
    expect(be.calls).toHaveLength(0);
    vi.advanceTimersByTime(399);
    expect(be.calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(be.calls.map((c) => c.value)).toEqual(['Mar']);
    be.calls[0].resolve();
    await settle();
    expect(states.at(-1)).toBe('saved');
  });

  it('never lets an older save overwrite a newer one', async () => {
    const be = fakeBackend();
    const saver = new SerialSaver(be.save, {}, { delay: 400 });
    saver.schedule('a');
    vi.advanceTimersByTime(400);
    expect(be.calls).toHaveLength(1);
    // Typing goes on while "a" is in flight: nothing else is sent meanwhile.
    saver.schedule('ab');
    vi.advanceTimersByTime(400);
    saver.schedule('abc');
    vi.advanceTimersByTime(400);
    expect(be.calls).toHaveLength(1);
    be.calls[0].resolve();
    await settle();
    // Only the newest pending value follows.
    expect(be.calls.map((c) => c.value)).toEqual(['a', 'abc']);
    be.calls[1].resolve();
    await settle();
    expect(be.stored).toEqual(['a', 'abc']);
    expect(saver.busy).toBe(false);
  });

  it('flush saves at once and resolves when everything is stored', async () => {
    const be = fakeBackend();
    const saver = new SerialSaver(be.save, {}, { delay: 400 });
    saver.schedule('x');
    const done = saver.flush();
    expect(be.calls.map((c) => c.value)).toEqual(['x']);
    saver.schedule('xy');
    be.calls[0].resolve();
    await settle();
    expect(be.calls.map((c) => c.value)).toEqual(['x', 'xy']);
    be.calls[1].resolve();
    await done;
    expect(be.stored).toEqual(['x', 'xy']);
  });

  it('reports an error only when no newer value is waiting', async () => {
    const be = fakeBackend();
    const states: [SaveState, unknown][] = [];
    const saver = new SerialSaver(be.save, { onState: (s, e) => states.push([s, e]) }, { delay: 400 });
    void saver.flush('bad');
    saver.schedule('good');
    be.calls[0].reject(new Error('refusé'));
    await settle();
    expect(states.map(([s]) => s)).not.toContain('error');
    vi.advanceTimersByTime(400);
    be.calls[1].reject(new Error('toujours refusé'));
    await settle();
    expect(states.at(-1)?.[0]).toBe('error');
    expect((states.at(-1)?.[1] as Error).message).toBe('toujours refusé');
  });

  it('cancel drops what is pending and waits for the flight', async () => {
    const be = fakeBackend();
    const saved: string[] = [];
    const saver = new SerialSaver(be.save, { onSaved: (v) => saved.push(v) }, { delay: 400 });
    void saver.flush('one');
    saver.schedule('two');
    const cancelled = saver.cancel();
    be.calls[0].resolve();
    await cancelled;
    vi.advanceTimersByTime(1000);
    saver.schedule('three');
    vi.advanceTimersByTime(1000);
    expect(be.calls.map((c) => c.value)).toEqual(['one']);
    expect(saved).toEqual(['one']);
  });

  it('discard drops the pending change but keeps saving later ones', async () => {
    const be = fakeBackend();
    const saver = new SerialSaver(be.save, {}, { delay: 400 });
    saver.schedule('M');
    saver.discard();
    vi.advanceTimersByTime(1000);
    expect(be.calls).toHaveLength(0);
    expect(saver.busy).toBe(false);
    saver.schedule('Marie');
    vi.advanceTimersByTime(400);
    expect(be.calls.map((c) => c.value)).toEqual(['Marie']);
  });
});

const STORAGE = { code: 'storage', message: 'L’enregistrement a échoué (erreur de stockage).' };
const INVALID = { code: 'invalid_input', message: 'Adresse e-mail invalide.', field: 'email' };

/** A journal in memory, as the savers write to it. */
function fakeJournal() {
  const entries = new Map<string, { rev: number; value: unknown; error: unknown }>();
  let rev = 0;
  const sink: JournalSink = {
    put: (key, _visit, call) => {
      rev += 1;
      entries.set(key, { rev, value: call, error: null });
      return rev;
    },
    remove: (key, r) => {
      if (entries.get(key)?.rev === r) entries.delete(key);
    },
    failed: (key, r, error) => {
      const e = entries.get(key);
      if (e?.rev === r) e.error = error;
    },
    drop: (key) => void entries.delete(key),
  };
  return { sink, entries };
}

function journaled(sink: JournalSink, key = 'v1/notes', extra: Partial<SaverOptions<string>> = {}): SaverOptions<string> {
  return {
    delay: 400,
    retry: { isRetryable },
    journal: { sink, key, visitId: key.split('/')[0], call: (notes) => ({ command: 'visit_update', visitId: 'v1', patch: { notes } }) },
    ...extra,
  };
}

describe('SerialSaver retries', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tries a storage failure again with a doubling wait, up to 30 s, until it lands', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const states: SaveState[] = [];
    const saver = new SerialSaver(be.save, { onState: (s) => states.push(s) }, journaled(j.sink, 'v1/backoff'));
    void saver.flush('Marie');
    const waits = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
    for (const [i, wait] of waits.entries()) {
      be.calls[i].reject(STORAGE);
      await settle();
      expect(states.at(-1)).toBe('retrying');
      expect(saver.retrying).toBe(true);
      expect(j.entries.get('v1/backoff')?.error).toEqual(STORAGE);
      vi.advanceTimersByTime(wait - 1);
      expect(be.calls).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      expect(be.calls).toHaveLength(i + 2);
      expect(be.calls[i + 1].value).toBe('Marie');
    }
    be.calls[waits.length].resolve();
    await settle();
    expect(states.at(-1)).toBe('saved');
    expect(be.stored).toEqual(['Marie']);
    expect(j.entries.has('v1/backoff')).toBe(false);
    expect(saver.busy).toBe(false);
  });

  it('a refused value is shown, not retried, and leaves the journal', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const states: [SaveState, unknown][] = [];
    const saver = new SerialSaver(be.save, { onState: (s, e) => states.push([s, e]) }, journaled(j.sink, 'v1/refused'));
    void saver.flush('pas-un-e-mail');
    expect(j.entries.has('v1/refused')).toBe(true);
    be.calls[0].reject(INVALID);
    await settle();
    expect(states.at(-1)).toEqual(['error', INVALID]);
    vi.advanceTimersByTime(60_000);
    expect(be.calls).toHaveLength(1);
    expect(j.entries.has('v1/refused')).toBe(false);
    expect(saver.busy).toBe(false);
  });

  it('a newer value typed while a failed one waits replaces it, and the older never lands after', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const saver = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/newer'));
    void saver.flush('a');
    be.calls[0].reject(STORAGE);
    await settle();
    // The adviser types on while "a" waits for its next try.
    saver.schedule('ab');
    expect(j.entries.get('v1/newer')?.value).toEqual({ command: 'visit_update', visitId: 'v1', patch: { notes: 'ab' } });
    vi.advanceTimersByTime(400);
    expect(be.calls.map((c) => c.value)).toEqual(['a', 'ab']);
    saver.schedule('abc');
    be.calls[1].reject(STORAGE);
    await settle();
    // "ab" failed but "abc" is newer: it is what goes next, and "ab" is never sent again.
    vi.advanceTimersByTime(400);
    expect(be.calls.map((c) => c.value)).toEqual(['a', 'ab', 'abc']);
    be.calls[2].resolve();
    await settle();
    vi.advanceTimersByTime(60_000);
    expect(be.calls).toHaveLength(3);
    expect(be.stored).toEqual(['abc']);
    expect(j.entries.size).toBe(0);
  });

  it('an older save acknowledged late does not forget the newer value in the journal', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const saver = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/late'));
    void saver.flush('one');
    saver.schedule('two');
    be.calls[0].resolve();
    await settle();
    expect(j.entries.get('v1/late')?.value).toMatchObject({ patch: { notes: 'two' } });
    vi.advanceTimersByTime(400);
    be.calls[1].resolve();
    await settle();
    expect(j.entries.size).toBe(0);
  });

  it('flush tries a failing value once more now and resolves, the next try still planned', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const saver = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/flush'));
    void saver.flush('x');
    be.calls[0].reject(STORAGE);
    await settle();
    const done = saver.flush();
    expect(be.calls).toHaveLength(2);
    be.calls[1].reject(STORAGE);
    await done;
    expect(saver.retrying).toBe(true);
    expect(j.entries.has('v1/flush')).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(be.calls).toHaveLength(3);
  });

  it('retryNow skips the wait', async () => {
    const be = fakeBackend();
    const saver = new SerialSaver(be.save, {}, journaled(fakeJournal().sink, 'v1/now'));
    void saver.flush('x');
    be.calls[0].reject(STORAGE);
    await settle();
    saver.retryNow();
    expect(be.calls).toHaveLength(2);
  });

  it('cancel forgets the record in the journal; retire leaves it for the next saver', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const a = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/a'));
    const b = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/b'));
    a.schedule('gone');
    b.schedule('kept');
    await a.cancel();
    await b.retire();
    vi.advanceTimersByTime(1000);
    expect(be.calls).toHaveLength(0);
    expect([...j.entries.keys()]).toEqual(['v1/b']);
  });

  it('a second saver of the same record waits for the first one’s flight, which stops', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const first = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/same'));
    void first.flush('old');
    first.schedule('older-pending');
    expect(heldKeys().has('v1/same')).toBe(true);
    const second = new SerialSaver(be.save, {}, journaled(j.sink, 'v1/same'));
    void second.flush('new');
    // Nothing is sent while the first saver's save is in flight…
    expect(be.calls.map((c) => c.value)).toEqual(['old']);
    be.calls[0].resolve();
    await settle();
    // …then only the second saver's value goes; the first one's pending value is dropped.
    expect(be.calls.map((c) => c.value)).toEqual(['old', 'new']);
    be.calls[1].resolve();
    await settle();
    vi.advanceTimersByTime(1000);
    expect(be.stored).toEqual(['old', 'new']);
    expect(j.entries.size).toBe(0);
  });

  it('retireSavers stops the savers of one visit and waits for their flights', async () => {
    const be = fakeBackend();
    const j = fakeJournal();
    const saver = new SerialSaver(be.save, {}, journaled(j.sink, 'v9/notes'));
    void saver.flush('x');
    let retired = false;
    const done = retireSavers((_k, visit) => visit === 'v9').then(() => (retired = true));
    await settle();
    expect(retired).toBe(false);
    be.calls[0].reject(STORAGE);
    await done;
    // Stopped: the failure is not tried again, and the value stays journaled.
    vi.advanceTimersByTime(60_000);
    expect(be.calls).toHaveLength(1);
    expect(j.entries.has('v9/notes')).toBe(true);
    expect(heldKeys().has('v9/notes')).toBe(false);
  });
});
