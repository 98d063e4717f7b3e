import { api, onSyncEvents, type SyncStatus } from '../api';
import { isCurrent, withProgress } from './syncView';

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
    setSyncState(status);
  } catch (error) {
    if (mine !== seq) return;
    syncStore.error = error instanceof Error ? error.message : String(error);
  }
}

/** Shows a state a command answered or an event brought, unless a newer one is shown. */
export function setSyncState(status: SyncStatus): void {
  syncStore.error = null;
  if (!isCurrent(syncStore.state, status)) return;
  syncStore.state = status;
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
  // A safety net for a lost event: while a sync is shown running, look again now and then.
  if (listening === null) {
    setInterval(() => {
      if (syncStore.state?.running) void refreshSync();
    }, 5000);
  }
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
