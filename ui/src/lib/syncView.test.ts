import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../api';
import { checkServerUrl, conflictValue, exportedText, isCurrent, progressLabel, syncIndicator, withProgress } from './syncView';

const NBSP = '\u00a0';

const base: SyncStatus = {
  enrolled: true,
  server_url: 'https://sync.somme-numerique.fr',
  adviser: 'Test',
  device_id: 'd1',
  device_name: 'portable',
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
  seq: 5,
};

describe('syncIndicator', () => {
  it('says « À jour » when nothing waits', () => {
    expect(syncIndicator(base)).toEqual({ tone: 'ok', label: 'À jour', detail: 'Jamais synchronisé' });
    expect(syncIndicator({ ...base, last_sync: '2026-12-03T17:00:00.000Z' }).detail).toMatch(/^Dernière synchro\u00a0: 3\u00a0décembre\u00a02026 à /);
  });

  it('counts the changes waiting', () => {
    expect(syncIndicator({ ...base, pending: 3 })).toMatchObject({ tone: 'pending', label: `3${NBSP}modifications en attente` });
    expect(syncIndicator({ ...base, pending: 1 }).label).toBe(`1${NBSP}modification en attente`);
  });

  it('shows the progress of a running sync before anything else', () => {
    const running = { ...base, pending: 40, conflicts: 2, online: false, running: true, phase: 'pushing' as const, done: 12, total: 40 };
    expect(syncIndicator(running)).toEqual({
      tone: 'busy',
      label: `Synchronisation 12${NBSP}/${NBSP}40`,
      detail: 'Envoi des modifications',
    });
    expect(syncIndicator({ ...running, phase: 'pulling', done: 120, total: 0 })).toEqual({
      tone: 'busy',
      label: 'Synchronisation…',
      detail: `Réception${NBSP}: 120${NBSP}éléments`,
    });
    // A server that says how many records wait: n / total while they arrive.
    expect(syncIndicator({ ...running, phase: 'pulling', done: 120, total: 450 })).toEqual({
      tone: 'busy',
      label: `Synchronisation 120${NBSP}/${NBSP}450`,
      detail: `Réception${NBSP}: 120${NBSP}éléments`,
    });
  });

  it('says « Hors ligne » and keeps the count of changes waiting', () => {
    expect(syncIndicator({ ...base, online: false, pending: 2 })).toEqual({
      tone: 'offline',
      label: 'Hors ligne',
      detail: `2${NBSP}modifications en attente`,
    });
  });

  it('puts revocation above all, and conflicts above being offline', () => {
    expect(syncIndicator({ ...base, revoked: true, running: true, conflicts: 1 }).label).toBe('Appareil révoqué');
    expect(syncIndicator({ ...base, conflicts: 2, online: false }).label).toBe(`2${NBSP}conflits à résoudre`);
  });

  it('tells a laptop not enrolled where to go', () => {
    expect(syncIndicator({ ...base, enrolled: false, server_url: null })).toEqual({
      tone: 'off',
      label: 'Non relié au serveur',
      detail: 'Enrôlez ce poste dans les réglages',
    });
    expect(syncIndicator({ ...base, enrolled: false, pending: 5 }).detail).toBe(`5${NBSP}modifications en attente`);
  });

  it('reports a failed sync when the server answered', () => {
    expect(syncIndicator({ ...base, online: true, last_error: 'Le serveur a refusé' }).label).toBe('Synchronisation en échec');
  });

  it('waits for the state', () => {
    expect(syncIndicator(null).tone).toBe('off');
  });
});

describe('progress', () => {
  it('merges an event into the state', () => {
    expect(withProgress(base, { seq: 6, phase: 'pushing', done: 2, total: 5 })).toMatchObject({
      seq: 6,
      running: true,
      done: 2,
      total: 5,
    });
    expect(withProgress(null, { seq: 6, phase: 'pushing', done: 2, total: 5 })).toBeNull();
  });

  it('ignores what is older than the state shown', () => {
    // The sync ended (seq 5) before an event of its progress (seq 4) was handled.
    expect(withProgress(base, { seq: 4, phase: 'pulling', done: 9, total: 0 })).toBe(base);
    // A command's answer computed while the sync ran, arriving after its end.
    expect(isCurrent(base, { ...base, seq: 3, running: true })).toBe(false);
    expect(isCurrent(base, { ...base, seq: 5, pending: 0 })).toBe(true);
    expect(isCurrent(null, base)).toBe(true);
  });

  it('labels only push progress with n / total', () => {
    expect(progressLabel({ phase: 'pushing', done: 0, total: 0 })).toBe('Synchronisation…');
    expect(progressLabel({ phase: 'applying', done: 3, total: 9 })).toBe('Synchronisation…');
  });
});

describe('conflicts and enrollment form', () => {
  it('shows an empty value as « (vide) »', () => {
    expect(conflictValue('  ')).toBe('(vide)');
    expect(conflictValue('Notes')).toBe('Notes');
  });

  it('checks the server address', () => {
    expect(checkServerUrl('')).toMatch(/Saisissez/);
    expect(checkServerUrl('sync.somme-numerique.fr')).toMatch(/https:\/\//);
    expect(checkServerUrl(' https://sync.somme-numerique.fr ')).toBeNull();
    expect(checkServerUrl('http://127.0.0.1:8080')).toBeNull();
  });
});

describe('exportedText', () => {
  it('counts the visits and names the folder', () => {
    expect(exportedText({ count: 1, dir: '/home/c/Documents' })).toBe('1\u00a0visite exportée dans le dossier /home/c/Documents');
    expect(exportedText({ count: 12, dir: 'D:\\Visites' })).toBe('12\u00a0visites exportées dans le dossier D:\\Visites');
  });
});
