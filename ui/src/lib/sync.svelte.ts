import { api, onSyncEvents, type SyncStatus } from '../api';
import { withProgress } from './syncView';

/**
 * The sync state shown on every screen: read at start and after navigation and saves,
 * then kept current by the background sync's events. `updates` counts the states
 * received from the sync (a screen showing conflicts reloads them when it changes).
 */
export const syncStore = $state<{ state: SyncStatus | null; error: string | null; updates: number }>({
  state: null,
  error: null,
  updates: 0,
});

let timer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;

export async function refreshSync(): Promise<void> {
  const mine = ++seq;
  try {
    const status = await api.syncStatus();
    if (mine !== seq) return;
    syncStore.state = status;
    syncStore.error = null;
  } catch (error) {
    if (mine !== seq) return;
    syncStore.error = error instanceof Error ? error.message : String(error);
  }
}

/** Replaces the state with one a command answered (enroll, « Synchroniser »). */
export function setSyncState(status: SyncStatus): void {
  seq += 1;
  syncStore.state = status;
  syncStore.error = null;
}

/** Refreshes soon, coalescing bursts (each autosave asks for it). */
export function refreshSyncSoon(delay = 800): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void refreshSync();
  }, delay);
}

let listening: Promise<() => void> | null = null;

/** Follows the background sync (once per window). */
export function followSync(): void {
  listening ??= onSyncEvents(
    (status) => {
      setSyncState(status);
      syncStore.updates += 1;
    },
    (progress) => {
      syncStore.state = withProgress(syncStore.state, progress);
    },
  ).catch((error: unknown) => {
    listening = null;
    syncStore.error = error instanceof Error ? error.message : String(error);
    return () => {};
  });
}
