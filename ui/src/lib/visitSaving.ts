// How the visit screen's savers are set up: each record of a visit saves through its own
// SerialSaver, retried while the store fails, its waiting value kept in the app's journal
// under "<visit id>/<record>".
import { toApiError } from '../api';
import type { SaverOptions } from './autosave';
import { journal } from './journal.svelte';
import { isRetryable } from './retry';
import type { SaveCall } from './saveCall';

export function visitSaverOptions<T>(
  visitId: string,
  record: string,
  call: (value: T) => SaveCall,
  delay: number,
): SaverOptions<T> {
  return {
    delay,
    retry: { isRetryable },
    journal: { sink: journal, key: journalKey(visitId, record), visitId, call },
  };
}

export function journalKey(visitId: string, record: string): string {
  return `${visitId}/${record}`;
}

/** What a field shows while its save fails and is tried again. */
export function retryMessage(error: unknown): string {
  return `Non enregistré — nouvel essai… ${toApiError(error).message}`;
}
