import { api, type SyncState } from '../api';

/** The sync state shown in the rail's corner; refreshed after navigation and saves. */
export const syncStore = $state<{ state: SyncState | null; error: string | null }>({
  state: null,
  error: null,
});

let timer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;

export async function refreshSync(): Promise<void> {
  const mine = ++seq;
  try {
    const home = await api.home();
    if (mine !== seq) return;
    syncStore.state = home.sync;
    syncStore.error = null;
  } catch (error) {
    if (mine !== seq) return;
    syncStore.error = error instanceof Error ? error.message : String(error);
  }
}

/** Refreshes soon, coalescing bursts (each autosave asks for it). */
export function refreshSyncSoon(delay = 800): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void refreshSync();
  }, delay);
}
