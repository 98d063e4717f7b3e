// What the sync state looks like to the adviser: the compact indicator of the rail, the
// phase of a running sync, progress events merged into the state. Pure functions.
import type { SyncPhase, SyncProgress, SyncStatus } from '../api';
import { formatDateTime, formatInteger, plural } from './format';

export type SyncTone = 'ok' | 'pending' | 'busy' | 'offline' | 'error' | 'off';

export interface SyncIndicator {
  tone: SyncTone;
  /** One short line: « À jour », « 3 modifications en attente », « Hors ligne »… */
  label: string;
  /** A second, quieter line, or null. */
  detail: string | null;
}

const NBSP = '\u00a0';

export function pendingText(pending: number): string {
  return plural(pending, 'modification en attente', 'modifications en attente', 'Aucune modification en attente');
}

function lastSyncText(lastSync: string | null): string {
  return lastSync ? `Dernière synchro${NBSP}: ${formatDateTime(lastSync)}` : 'Jamais synchronisé';
}

/** What a running sync is doing, in a few words. */
export function phaseText(phase: SyncPhase, done: number): string {
  switch (phase) {
    case 'checking':
      return 'Connexion au serveur';
    case 'pushing':
      return 'Envoi des modifications';
    case 'pulling':
      return done > 0 ? `Réception${NBSP}: ${plural(done, 'élément', 'éléments')}` : 'Réception';
    case 'reference':
      return 'Données de référence reçues';
    case 'applying':
      return 'Application des changements reçus';
    case 'retrying':
      return 'Connexion interrompue, nouvel essai';
    case 'idle':
      return '';
  }
}

/** « Synchronisation 12 / 40 » while changes are sent or received (when the server says
 * how many), else « Synchronisation… ». */
export function progressLabel(status: Pick<SyncStatus, 'phase' | 'done' | 'total'>): string {
  if ((status.phase === 'pushing' || status.phase === 'pulling') && status.total > 0) {
    return `Synchronisation ${formatInteger(status.done)}${NBSP}/${NBSP}${formatInteger(status.total)}`;
  }
  return 'Synchronisation…';
}

/** The compact state shown on every screen. */
export function syncIndicator(status: SyncStatus | null): SyncIndicator {
  if (status === null) return { tone: 'off', label: '…', detail: null };
  if (!status.enrolled) {
    return {
      tone: 'off',
      label: 'Non relié au serveur',
      detail: status.pending > 0 ? pendingText(status.pending) : 'Enrôlez ce poste dans les réglages',
    };
  }
  if (status.revoked) {
    return { tone: 'error', label: 'Appareil révoqué', detail: 'Vos données restent sur ce poste' };
  }
  if (status.running) {
    return { tone: 'busy', label: progressLabel(status), detail: phaseText(status.phase, status.done) || null };
  }
  if (status.conflicts > 0) {
    return {
      tone: 'pending',
      label: plural(status.conflicts, 'conflit à résoudre', 'conflits à résoudre'),
      detail: status.pending > 0 ? pendingText(status.pending) : lastSyncText(status.last_sync),
    };
  }
  if (status.online === false) {
    return {
      tone: 'offline',
      label: 'Hors ligne',
      detail: status.pending > 0 ? pendingText(status.pending) : lastSyncText(status.last_sync),
    };
  }
  if (status.last_error) {
    return {
      tone: 'error',
      label: 'Synchronisation en échec',
      detail: status.pending > 0 ? pendingText(status.pending) : lastSyncText(status.last_sync),
    };
  }
  if (status.pending > 0) {
    return { tone: 'pending', label: pendingText(status.pending), detail: lastSyncText(status.last_sync) };
  }
  return { tone: 'ok', label: 'À jour', detail: lastSyncText(status.last_sync) };
}

/**
 * Whether a state received (an event, or a command's answer that may have been overtaken
 * by events) is not older than the one shown: `seq` grows with each change of the sync.
 */
export function isCurrent(shown: SyncStatus | null, received: SyncStatus): boolean {
  return shown === null || received.seq >= shown.seq;
}

/** The state with a progress event merged in (the sync is running); an older event is ignored. */
export function withProgress(status: SyncStatus | null, progress: SyncProgress): SyncStatus | null {
  if (status === null || progress.seq < status.seq) return status;
  return {
    ...status,
    seq: progress.seq,
    running: true,
    phase: progress.phase,
    done: progress.done,
    total: progress.total,
  };
}

/** A value in a conflict as shown: the text, or « (vide) ». */
export function conflictValue(text: string): string {
  return text.trim() === '' ? '(vide)' : text;
}

/** Checks the server address before asking the core: answers a French message or null. */
export function checkServerUrl(url: string): string | null {
  const value = url.trim();
  if (value === '') return 'Saisissez l’adresse du serveur du syndicat.';
  if (!/^https?:\/\/[^\s/]+/i.test(value)) {
    return 'L’adresse doit commencer par https:// (par exemple https://sync.somme-numerique.fr).';
  }
  return null;
}

/** What a revoked laptop can still do with its data (followed by « Exporter toutes les visites »). */
export const REVOKED_HELP =
  'Vos visites restent enregistrées sur ce poste et vous pouvez continuer à les consulter. ' +
  'Pour les transmettre, exportez-les en fichiers (un fichier JSON par visite, que le syndicat peut importer), ' +
  'ou demandez au syndicat un nouveau code d’enrôlement.';

/** What « Exporter toutes les visites » answers. */
export function exportedText(result: { count: number; dir: string }): string {
  const what = plural(result.count, 'visite exportée', 'visites exportées');
  return `${what} dans le dossier ${result.dir}`;
}
