import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SerialSaver, type SaveState } from './autosave';

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
    const saver = new SerialSaver(be.save, { onState: (s) => states.push(s) }, 400);
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
    const saver = new SerialSaver(be.save, {}, 400);
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
    const saver = new SerialSaver(be.save, {}, 400);
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
    const saver = new SerialSaver(be.save, { onState: (s, e) => states.push([s, e]) }, 400);
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
    const saver = new SerialSaver(be.save, { onSaved: (v) => saved.push(v) }, 400);
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
    const saver = new SerialSaver(be.save, {}, 400);
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
