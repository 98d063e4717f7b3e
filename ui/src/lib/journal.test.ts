import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JournalState } from '../api';

// Replays go through the real `api` wrappers: `invoke` is the fake store.
const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock('@tauri-apps/api/window', () => ({ getCurrentWindow: () => ({}) }));

const { EditJournal, WRITE_DELAY_MS } = await import('./journal.svelte');
type Edit = import('./journal.svelte').Edit;

const STORAGE = { code: 'storage', message: 'L’enregistrement a échoué (erreur de stockage).' };

async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** The journal file as the shell keeps it: each write, and what a read answers. */
function fakeFile(initial: Edit[] = []) {
  const writes: { generation: number; keys: string[] }[] = [];
  let release: (() => void)[] = [];
  let fail = false;
  const io = {
    read: async (): Promise<JournalState> => ({ generation: 3, entries: initial, problem: null }),
    write: (generation: number, entries: Edit[]) =>
      new Promise<void>((resolve, reject) => {
        writes.push({ generation, keys: entries.map((e) => e.key) });
        release.push(() => (fail ? reject(STORAGE) : resolve()));
      }),
  };
  return {
    io,
    writes,
    /** Lets every write in flight land (or fail, with `failing`). */
    async land(failing = false) {
      fail = failing;
      const now = release;
      release = [];
      now.forEach((r) => r());
      await settle();
    },
  };
}

const notes = (visitId: string, text: string) => ({ command: 'visit_update' as const, visitId, patch: { notes: text } });

function edit(key: string, visitId: string, rev: number, text: string): Edit {
  return { key, visit_id: visitId, rev, call: notes(visitId, text), error: null, since_ms: 1 };
}

describe('EditJournal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    invoke.mockReset();
  });
  afterEach(() => vi.useRealTimers());

  it('writes one at a time; changes during a write go whole with the next one', async () => {
    const file = fakeFile();
    const j = new EditJournal(file.io);
    await j.start();
    const r1 = j.put('v1/notes', 'v1', notes('v1', 'a'));
    expect(file.writes).toHaveLength(0);
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(file.writes).toHaveLength(1);
    j.put('v1/notes', 'v1', notes('v1', 'ab'));
    j.put('v1/schedule', 'v1', { command: 'visit_update', visitId: 'v1', patch: { scheduled_at: '2026-12-03T18:00' } });
    expect(file.writes).toHaveLength(1);
    j.remove('v1/notes', r1); // an older revision: the newer value stays
    await file.land();
    // Generations continue after the one the shell last took (3).
    expect(file.writes.map((w) => w.generation)).toEqual([4, 5]);
    expect(file.writes[1].keys.sort()).toEqual(['v1/notes', 'v1/schedule']);
    expect(j.forVisit('v1').map((e) => (e.call as ReturnType<typeof notes>).patch.notes ?? 'date')).toEqual(['ab', 'date']);
    await file.land();
    await j.written();
  });

  it('a value acknowledged within the delay costs no write; written() writes at once', async () => {
    const file = fakeFile();
    const j = new EditJournal(file.io);
    await j.start();
    const rev = j.put('v1/line', 'v1', notes('v1', '7'));
    vi.advanceTimersByTime(WRITE_DELAY_MS / 2);
    j.remove('v1/line', rev);
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    await settle();
    expect(file.writes.filter((w) => w.keys.length > 0)).toHaveLength(0);
    j.put('v1/notes', 'v1', notes('v1', 'fermeture'));
    const done = j.written();
    expect(file.writes.at(-1)?.keys).toEqual(['v1/notes']);
    await file.land();
    await done;
  });

  it('a failed write is tried again later and said', async () => {
    const file = fakeFile();
    const j = new EditJournal(file.io);
    await j.start();
    j.put('v1/notes', 'v1', notes('v1', 'a'));
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    await file.land(true);
    expect(j.writeError).toContain('erreur de stockage');
    expect(file.writes).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(file.writes).toHaveLength(2);
    await file.land();
    expect(j.writeError).toBeNull();
  });

  it('replays what a previous run left: a save that lands leaves, one that fails stays, marked, and is tried again', async () => {
    const file = fakeFile([edit('v1/notes', 'v1', 10, 'kept'), edit('v2/notes', 'v2', 11, 'failing')]);
    const calls: string[] = [];
    invoke.mockImplementation(async (command: string, args: { id: string; patch: { notes: string } }) => {
      calls.push(`${command} ${args.id} ${args.patch.notes}`);
      if (args.id === 'v2' && calls.length < 4) throw STORAGE;
      return {};
    });
    const j = new EditJournal(file.io);
    const left = await j.start();
    expect(left.map((e) => e.key)).toEqual(['v1/notes', 'v2/notes']);
    await settle();
    expect(calls).toEqual(['visit_update v1 kept', 'visit_update v2 failing']);
    expect(j.forVisit('v1')).toEqual([]);
    expect(j.forVisit('v2')[0].error).toBe(STORAGE.message);
    // New revisions are newer than any of the previous run.
    expect(j.forVisit('v2')[0].rev).toBeGreaterThan(11);
    vi.advanceTimersByTime(500);
    await settle();
    expect(calls.at(-1)).toBe('visit_update v2 failing');
    vi.advanceTimersByTime(1000);
    await settle();
    expect(calls).toHaveLength(4);
    expect(j.forVisit('v2')).toEqual([]);
    await file.land();
    await file.land();
  });

  it('a claim stops the replay of a visit and hands its edits over', async () => {
    const file = fakeFile([edit('v3/notes', 'v3', 10, 'à reprendre')]);
    invoke.mockRejectedValue(STORAGE);
    const j = new EditJournal(file.io);
    await j.start();
    await settle();
    const claimed = await j.claim('v3');
    expect(claimed.map((e) => e.key)).toEqual(['v3/notes']);
    const tries = invoke.mock.calls.length;
    vi.advanceTimersByTime(60_000);
    await settle();
    // Nobody sends it any more until the screen that claimed it does.
    expect(invoke.mock.calls.length).toBe(tries);
    expect(j.forVisit('v3')).toHaveLength(1);
  });

  it('abandoning an edit forgets it and stops its tries', async () => {
    const file = fakeFile([edit('v4/notes', 'v4', 10, 'abandonnée')]);
    invoke.mockRejectedValue(STORAGE);
    const j = new EditJournal(file.io);
    await j.start();
    await settle();
    let done = false;
    const abandoned = j.abandon('v4/notes').then(() => (done = true));
    for (let i = 0; i < 10 && !done; i++) await file.land();
    await abandoned;
    expect(j.forVisit('v4')).toEqual([]);
    const tries = invoke.mock.calls.length;
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(invoke.mock.calls.length).toBe(tries);
    expect(file.writes.at(-1)?.keys).toEqual([]);
  });
});
