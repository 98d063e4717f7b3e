import { describe, expect, it, vi } from 'vitest';
import type { DocumentSettings, FirstStart, ImportReport, SyncStatus, WelcomePath } from '../api';

vi.mock('@tauri-apps/api/core', () => ({ invoke: () => Promise.reject(new Error('no Tauri in tests')) }));
vi.mock('@tauri-apps/api/window', () => ({ getCurrentWindow: () => ({}) }));

const { WelcomeFlow, blankLetterhead, enrollError, firstSyncProblem, receivedLines, serverPhase } = await import(
  './welcome.svelte'
);
type Api = import('./welcome.svelte').WelcomeApi;

const version = (kind: string, label: string) => ({ kind, version: `${kind}-1`, label, source: '', indicative: true });

function firstStart(over: Partial<FirstStart> = {}): FirstStart {
  return {
    welcome: true,
    path: null,
    visits: 0,
    schools: 0,
    enrolled: false,
    letterhead_set: false,
    demo_logo: true,
    catalogue: version('catalogue', 'Catalogue de démonstration — prix indicatifs'),
    funding: version('funding', 'Dispositifs de financement (référence)'),
    received: { schools: null, catalogue: null, funding: null },
    ...over,
  };
}

function sync(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    enrolled: false,
    server_url: null,
    adviser: null,
    device_id: null,
    device_name: null,
    last_sync: null,
    pending: 0,
    waiting: 0,
    refused: 0,
    conflicts: 0,
    revoked: false,
    running: false,
    phase: 'idle',
    done: 0,
    total: 0,
    online: null,
    last_error: null,
    seq: 0,
    ...over,
  };
}

/** A fake core: what the welcome asked, and the store's answers. */
function fakeApi(state: FirstStart = firstStart()) {
  const calls: string[] = [];
  let current = state;
  const api: Api = {
    firstStart: async () => (calls.push('firstStart'), current),
    welcomeChoose: async (path: WelcomePath) => {
      calls.push(`choose:${path}`);
      current = { ...current, path };
      return current;
    },
    welcomeDone: async () => {
      calls.push('done');
      current = { ...current, welcome: false, path: null };
      return current;
    },
    syncEnroll: vi.fn(async (url: string, code: string) => {
      calls.push(`enroll:${url}:${code}`);
      current = { ...current, enrolled: true };
      return sync({ enrolled: true, server_url: url, adviser: 'Claire Martin', running: true, phase: 'checking' });
    }),
    syncNow: async () => (calls.push('syncNow'), sync({ enrolled: true, running: true })),
    schoolsImport: vi.fn(async (): Promise<ImportReport> => {
      calls.push('import');
      current = { ...current, schools: 42 };
      return { added: 42, updated: 0, skipped: 7, merged: 0 };
    }),
  };
  return { api, calls, set: (s: FirstStart) => (current = s) };
}

describe('WelcomeFlow', () => {
  it('starts on the choice, then takes the offline path: import, letterhead, done', async () => {
    const { api, calls } = fakeApi();
    const flow = new WelcomeFlow(api);
    await flow.load();
    expect(flow.step).toBe('choose');

    await flow.choose('offline');
    expect(flow.step).toBe('offline');
    expect(flow.info?.path).toBe('offline');

    await flow.importDirectory(new ArrayBuffer(8));
    expect(flow.importReport).toEqual({ added: 42, updated: 0, skipped: 7, merged: 0 });
    expect(flow.info?.schools).toBe(42);

    flow.toLetterhead();
    expect(flow.step).toBe('letterhead');
    expect(await flow.finish()).toBe(true);
    expect(flow.info?.welcome).toBe(false);
    expect(calls).toEqual(['firstStart', 'choose:offline', 'import', 'firstStart', 'done']);
  });

  it('resumes on the path chosen before a restart', async () => {
    const { api } = fakeApi(firstStart({ path: 'server', enrolled: true }));
    const flow = new WelcomeFlow(api);
    await flow.load();
    expect(flow.step).toBe('server');
  });

  it('checks the address and the code before asking the server', async () => {
    const { api } = fakeApi();
    const flow = new WelcomeFlow(api);
    await flow.load();
    await flow.choose('server');

    expect(await flow.enroll()).toBe(false);
    expect(flow.error).toEqual({ field: 'url', message: 'Saisissez l’adresse du serveur du syndicat.' });

    flow.url = 'sync.somme-numerique.fr';
    expect(await flow.enroll()).toBe(false);
    expect(flow.error?.field).toBe('url');

    flow.url = ' http://127.0.0.1:8443 ';
    expect(await flow.enroll()).toBe(false);
    expect(flow.error?.field).toBe('code');
    expect(api.syncEnroll).not.toHaveBeenCalled();
  });

  it('enrolls, hands the sync state on and forgets the one-time code', async () => {
    const { api } = fakeApi();
    const states: SyncStatus[] = [];
    const flow = new WelcomeFlow(api, (s) => states.push(s));
    await flow.load();
    await flow.choose('server');
    flow.url = 'http://127.0.0.1:8443';
    flow.code = ' ABCD-1234 ';
    expect(await flow.enroll()).toBe(true);
    expect(api.syncEnroll).toHaveBeenCalledWith('http://127.0.0.1:8443', 'ABCD-1234');
    expect(states).toHaveLength(1);
    expect(states[0].enrolled).toBe(true);
    expect(flow.code).toBe('');
    expect(flow.info?.enrolled).toBe(true);
    expect(flow.error).toBeNull();
  });

  it('shows a wrong code at the code and an unreachable server above the buttons, and can retry', async () => {
    const { api } = fakeApi();
    const flow = new WelcomeFlow(api);
    await flow.load();
    flow.url = 'http://127.0.0.1:8443';
    flow.code = 'FAUX';

    vi.mocked(api.syncEnroll).mockRejectedValueOnce({
      code: 'invalid_enrollment_code',
      message: 'Code d’enrôlement inconnu, déjà utilisé ou expiré.',
      field: 'code',
    });
    expect(await flow.enroll()).toBe(false);
    expect(flow.error?.field).toBe('code');
    expect(flow.error?.message).toMatch(/^Code d’enrôlement inconnu.*Demandez un nouveau code/);
    expect(flow.code).toBe('FAUX');

    vi.mocked(api.syncEnroll).mockRejectedValueOnce({ code: 'offline', message: 'Serveur injoignable : …' });
    expect(await flow.enroll()).toBe(false);
    expect(flow.error?.field).toBeNull();
    expect(flow.error?.message).toMatch(/injoignable à cette adresse/);

    flow.code = 'BON';
    expect(await flow.enroll()).toBe(true);
    expect(flow.error).toBeNull();
  });

  it('keeps a refused directory file’s rows and goes on', async () => {
    const { api } = fakeApi();
    vi.mocked(api.schoolsImport).mockRejectedValueOnce({
      code: 'invalid_input',
      message: 'Le fichier n’est pas l’annuaire des écoles.',
      details: [{ line: 2, reason: 'colonne manquante' }],
    });
    const flow = new WelcomeFlow(api);
    await flow.load();
    await flow.importDirectory(new ArrayBuffer(1));
    expect(flow.importError?.message).toBe('Le fichier n’est pas l’annuaire des écoles.');
    expect(flow.importError?.rows).toHaveLength(1);
    expect(flow.importing).toBe(false);
  });

  it('says a failure to finish and stays', async () => {
    const { api } = fakeApi();
    api.welcomeDone = () => Promise.reject({ code: 'storage', message: 'L’enregistrement a échoué.' });
    const flow = new WelcomeFlow(api);
    await flow.load();
    flow.toLetterhead();
    expect(await flow.finish()).toBe(false);
    expect(flow.error?.message).toBe('L’enregistrement a échoué.');
    expect(flow.step).toBe('letterhead');
  });

  it('shows a load failure', async () => {
    const { api } = fakeApi();
    api.firstStart = () => Promise.reject({ code: 'store_unavailable', message: 'Les données ne sont pas ouvertes.' });
    const flow = new WelcomeFlow(api);
    await flow.load();
    expect(flow.loadError).toBe('Les données ne sont pas ouvertes.');
  });
});

describe('serverPhase', () => {
  it('follows enrollment and the first sync', () => {
    expect(serverPhase(null)).toBe('form');
    expect(serverPhase(sync())).toBe('form');
    expect(serverPhase(sync({ enrolled: true }))).toBe('syncing');
    expect(serverPhase(sync({ enrolled: true, running: true, phase: 'pulling' }))).toBe('syncing');
    expect(serverPhase(sync({ enrolled: true, last_error: 'Serveur injoignable', online: false }))).toBe('failed');
    // A retry in progress after a failure shows progress again.
    expect(serverPhase(sync({ enrolled: true, running: true, last_error: 'x' }))).toBe('syncing');
    expect(serverPhase(sync({ enrolled: true, revoked: true }))).toBe('failed');
    expect(serverPhase(sync({ enrolled: true, last_sync: '2026-12-01T10:00:00Z' }))).toBe('synced');
    // A later sync does not hide what the first one brought.
    expect(serverPhase(sync({ enrolled: true, last_sync: '2026-12-01T10:00:00Z', running: true }))).toBe('synced');
  });

  it('explains a first sync that failed', () => {
    expect(firstSyncProblem(sync({ enrolled: true, online: false, last_error: 'x' }))).toMatch(/ne répond plus/);
    expect(firstSyncProblem(sync({ enrolled: true, revoked: true }))).toMatch(/révoqué/);
    expect(firstSyncProblem(sync({ enrolled: true, online: true, last_error: 'Réponse inattendue du serveur.' }))).toBe(
      'Réponse inattendue du serveur.',
    );
  });
});

describe('enrollError', () => {
  it('places an error by its code, never by its text', () => {
    expect(enrollError({ code: 'invalid_input', message: 'Adresse refusée', field: 'url' }).field).toBe('url');
    expect(enrollError({ code: 'invalid_input', message: 'Saisissez le code', field: 'code' }).field).toBe('code');
    expect(enrollError({ code: 'busy', message: 'Une synchronisation est en cours.' })).toEqual({
      field: null,
      message: 'Une synchronisation est en cours.',
    });
    // A message mentioning the code is not enough to put it at the code.
    expect(enrollError({ code: 'sync_refused', message: 'Code 500' }).field).toBeNull();
  });

  it('switches on each enrollment code', () => {
    const message = 'Code d’enrôlement inconnu, déjà utilisé ou expiré.';
    expect(enrollError({ code: 'invalid_enrollment_code', message, field: 'code' })).toEqual({
      field: 'code',
      message: `${message} Demandez un nouveau code au syndicat.`,
    });
    // The same text under another code is not placed at the code field.
    expect(enrollError({ code: 'sync_refused', message }).field).toBeNull();
    const offline = enrollError({ code: 'offline', message: 'Serveur injoignable.' });
    expect(offline.field).toBeNull();
    expect(offline.message).toMatch(/injoignable à cette adresse/);
    // An address refused without a field is still about the address.
    expect(enrollError({ code: 'invalid_input', message: 'Adresse refusée' }).field).toBe('url');
    for (const code of ['busy', 'revoked', 'not_enrolled', 'storage', 'internal'] as const) {
      expect(enrollError({ code, message: 'm' })).toEqual({ field: null, message: 'm' });
    }
  });
});

describe('receivedLines', () => {
  it('says what the first sync brought, and what is still the built-in data', () => {
    const lines = receivedLines(
      firstStart({
        schools: 1234,
        catalogue: version('catalogue', 'Catalogue du groupement d’achat (version 3)'),
        received: { schools: 2, catalogue: 3, funding: null },
      }),
    );
    expect(lines.map((l) => l.label)).toEqual(['Annuaire des écoles', 'Catalogue', 'Financements']);
    expect(lines[0].value).toBe('1\u202f234\u00a0écoles (version 2)');
    expect(lines[1].value).toBe('Catalogue du groupement d’achat (version 3)');
    expect(lines[2].value).toMatch(/^pas encore reçus \(en attendant : Dispositifs/);
  });
});

describe('blankLetterhead', () => {
  it('leaves nothing of the demo letterhead but the logo choice, and signs with the adviser', () => {
    const demo: DocumentSettings = {
      organisation: 'Somme numérique',
      address_lines: ['Adresse à renseigner dans Réglages'],
      phone: '',
      email: '',
      website: '',
      place: 'Amiens',
      adviser_name: 'Conseiller du syndicat',
      adviser_title: 'Conseiller numérique éducatif',
      adviser_phone: '',
      adviser_email: '',
      has_logo: true,
      accent: '#1d4e89',
    };
    const blank = blankLetterhead(demo, 'Claire Martin');
    expect(blank.organisation).toBe('');
    expect(blank.address_lines).toEqual([]);
    expect(blank.place).toBe('');
    expect(blank.adviser_name).toBe('Claire Martin');
    expect(blank.adviser_title).toBe('');
    expect(blank.has_logo).toBe(true);
    expect(blankLetterhead(demo, null).adviser_name).toBe('');
  });
});
