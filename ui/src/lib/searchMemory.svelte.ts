import type { CommuneHit } from '../api';

/** The last commune search, kept while the app runs so « Communes » returns to it. */
export const searchMemory = $state<{ query: string; hits: CommuneHit[] }>({ query: '', hits: [] });
