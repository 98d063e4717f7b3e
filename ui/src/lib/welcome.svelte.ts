// The welcome of a new install (no visit, no school, not enrolled): link the laptop to the
// syndicate's server or start offline on the built-in reference data, then the letterhead.
// The core decides whether it shows (`first_start`) and remembers the path chosen, so a
// welcome left midway comes back where it was. The collaborators are passed in: the flow
// is tested without Tauri.
import {
  toApiError,
  type DocumentSettings,
  type FirstStart,
  type ImportReport,
  type RowError,
  type SyncStatus,
  type WelcomePath,
} from '../api';
import { plural } from './format';
import { checkServerUrl } from './syncView';

export type WelcomeStep = 'choose' | 'server' | 'offline' | 'letterhead';

/** What the welcome calls: `api`'s wrappers in the app, fakes in the tests. */
export interface WelcomeApi {
  firstStart(): Promise<FirstStart>;
  welcomeChoose(path: WelcomePath): Promise<FirstStart>;
  welcomeDone(): Promise<FirstStart>;
  syncEnroll(url: string, code: string): Promise<SyncStatus>;
  syncNow(): Promise<SyncStatus>;
  schoolsImport(file: ArrayBuffer): Promise<ImportReport>;
}

/** A refusal shown at a field (`field` set) or above the buttons. */
export interface WelcomeError {
  field: 'url' | 'code' | null;
  message: string;
}

/** Where the link to the server stands, read from the sync state. */
export type ServerPhase = 'form' | 'syncing' | 'failed' | 'synced';

export function serverPhase(sync: SyncStatus | null): ServerPhase {
  if (sync === null || !sync.enrolled) return 'form';
  // Once a sync went through, what it brought is there to show (a later one may run).
  if (sync.last_sync !== null) return 'synced';
  if (sync.running) return 'syncing';
  if (sync.revoked || sync.last_error !== null) return 'failed';
  // Enrolled, the first sync about to start.
  return 'syncing';
}

/** The first sync could not end: what to say (the sync tries again by itself). */
export function firstSyncProblem(sync: SyncStatus): string {
  if (sync.revoked) return 'Le syndicat a révoqué ce poste : demandez-lui un nouveau code d’enrôlement.';
  if (sync.online === false) {
    return 'Le serveur ne répond plus : Préau réessaiera tout seul dès qu’il sera joignable. Vous pouvez aussi réessayer maintenant.';
  }
  return sync.last_error ?? 'La première synchronisation n’a pas abouti.';
}

/** An enrollment refused, in French, at the field it concerns: decided by the error's code. */
export function enrollError(raw: unknown): WelcomeError {
  const e = toApiError(raw);
  switch (e.code) {
    case 'invalid_enrollment_code':
      return { field: 'code', message: `${e.message} Demandez un nouveau code au syndicat.` };
    case 'offline':
      return {
        field: null,
        message:
          'Le serveur du syndicat est injoignable à cette adresse : vérifiez l’adresse et la connexion au réseau, puis réessayez.',
      };
    case 'invalid_input':
      return { field: e.field === 'code' ? 'code' : 'url', message: e.message };
    default:
      return { field: null, message: e.message };
  }
}

/** What came from the server, line by line (« 412 écoles », the catalogue's version…). */
export function receivedLines(info: FirstStart): { label: string; value: string }[] {
  const r = info.received;
  return [
    {
      label: 'Annuaire des écoles',
      value:
        r.schools === null
          ? 'pas encore reçu'
          : `${plural(info.schools, 'école', 'écoles')} (version ${r.schools})`,
    },
    {
      label: 'Catalogue',
      value: r.catalogue === null ? `pas encore reçu (en attendant : ${info.catalogue.label})` : info.catalogue.label,
    },
    {
      label: 'Financements',
      value: r.funding === null ? `pas encore reçus (en attendant : ${info.funding.label})` : info.funding.label,
    },
  ];
}

/**
 * The letterhead a new install starts from: blank where the demo one would be, so nothing
 * of the demo goes out by mistake; the enrolled adviser's name as the signatory.
 */
export function blankLetterhead(s: DocumentSettings, adviser: string | null): DocumentSettings {
  return {
    ...s,
    organisation: '',
    address_lines: [],
    phone: '',
    email: '',
    website: '',
    place: '',
    adviser_name: adviser ?? '',
    adviser_title: '',
    adviser_phone: '',
    adviser_email: '',
  };
}

export class WelcomeFlow {
  step = $state<WelcomeStep>('choose');
  info = $state<FirstStart | null>(null);
  loadError = $state<string | null>(null);
  busy = $state(false);
  error = $state<WelcomeError | null>(null);

  url = $state('');
  code = $state('');

  importing = $state(false);
  importReport = $state<ImportReport | null>(null);
  importError = $state<{ message: string; rows: RowError[] } | null>(null);

  readonly #api: WelcomeApi;
  readonly #onSync: (status: SyncStatus) => void;

  /** `onSync`: a sync state a command answered (shown by the rest of the app too). */
  constructor(api: WelcomeApi, onSync: (status: SyncStatus) => void = () => {}) {
    this.#api = api;
    this.#onSync = onSync;
  }

  /** Reads where the welcome stands; a welcome left midway resumes on its path. */
  async load(): Promise<void> {
    try {
      this.info = await this.#api.firstStart();
      this.loadError = null;
      this.step = this.info.path ?? 'choose';
    } catch (e) {
      this.loadError = toApiError(e).message;
    }
  }

  /** Reads the counts and versions again (after a sync or an import). */
  async refresh(): Promise<void> {
    try {
      this.info = await this.#api.firstStart();
    } catch {
      // What is shown stays; the next refresh tries again.
    }
  }

  async choose(path: WelcomePath): Promise<void> {
    await this.#run(async () => {
      this.info = await this.#api.welcomeChoose(path);
      this.step = path;
    });
  }

  /** Back to the two paths (nothing chosen is undone: an import stays). */
  back(): void {
    this.error = null;
    this.step = 'choose';
  }

  /** Enrolls with the server's address and one-time code; the first sync then starts. */
  async enroll(): Promise<boolean> {
    this.error = null;
    const refused = checkServerUrl(this.url);
    if (refused) {
      this.error = { field: 'url', message: refused };
      return false;
    }
    if (this.code.trim() === '') {
      this.error = { field: 'code', message: 'Saisissez le code d’enrôlement remis par le syndicat.' };
      return false;
    }
    this.busy = true;
    try {
      this.#onSync(await this.#api.syncEnroll(this.url.trim(), this.code.trim()));
      this.code = '';
      await this.refresh();
      return true;
    } catch (e) {
      this.error = enrollError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Tries the first sync again now (it is also retried by itself). */
  async retrySync(): Promise<void> {
    await this.#run(async () => this.#onSync(await this.#api.syncNow()));
  }

  async importDirectory(file: ArrayBuffer): Promise<void> {
    this.importing = true;
    this.importReport = null;
    this.importError = null;
    try {
      this.importReport = await this.#api.schoolsImport(file);
      await this.refresh();
    } catch (e) {
      const err = toApiError(e);
      this.importError = { message: err.message, rows: err.details ?? [] };
    } finally {
      this.importing = false;
    }
  }

  toLetterhead(): void {
    this.error = null;
    this.step = 'letterhead';
  }

  /** Ends the welcome; answers whether it ended (the home screen comes next). */
  async finish(): Promise<boolean> {
    return this.#run(async () => {
      this.info = await this.#api.welcomeDone();
    });
  }

  async #run(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await action();
      return true;
    } catch (e) {
      this.error = { field: null, message: toApiError(e).message };
      return false;
    } finally {
      this.busy = false;
    }
  }
}
